// 3-D segmentation metrics of one volume, in millimetres (conventions: losses/volume_metrics.h).
//
// The surface distances follow the 2-D metrics (losses/metrics.cpp, kernels/metrics.cuh) one
// dimension up: each mask's surface is marked as the zeros of a "not surface" volume, the exact
// 3-D EDT of that volume (kernels/edt3d_kernels.h, with the spacing in mm) gives every voxel's
// distance to the nearest surface voxel, and the directed distances are those distances read on
// the other mask's surface. Percentiles use the 2-D metrics' own code (metrics_percentile:
// numpy.percentile's linear rule on the sorted float distances, the same interpolation as the
// 2-D hd95). CPU only: one volume at a time, for `fbd eval`.
#include "losses/volume_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/error.h"
#include "core/op_util.h"
#include "kernels/edt3d_kernels.h"
#include "kernels/metrics.cuh"

namespace fbd {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// a / b, or `if_empty` when b is 0 (the 0/0 rules of the 2-D metrics).
double ratio(double a, double b, double if_empty) { return b == 0 ? if_empty : a / b; }

struct Dims {
  int64_t nz, ny, nx;
  int64_t voxels() const { return nz * ny * nx; }
};

// Voxel (z, y, x) of mask m is on the surface: in the mask, with a 6-neighbour outside it or
// outside the volume (the mask minus its erosion by the 6-connected cross, border = background).
bool on_surface(const uint8_t* m, const Dims& d, int64_t z, int64_t y, int64_t x) {
  const int64_t i = (z * d.ny + y) * d.nx + x, plane = d.ny * d.nx;
  if (!m[i]) return false;
  if (z == 0 || y == 0 || x == 0 || z == d.nz - 1 || y == d.ny - 1 || x == d.nx - 1) return true;
  return !m[i - 1] || !m[i + 1] || !m[i - d.nx] || !m[i + d.nx] || !m[i - plane] || !m[i + plane];
}

// 0 on the surface voxels of m, 1 elsewhere (the EDT's input); returns the surface size.
int64_t not_surface(const uint8_t* m, const Dims& d, std::vector<uint8_t>& out) {
  out.assign(static_cast<size_t>(d.voxels()), 1);
  int64_t count = 0;
  for (int64_t z = 0; z < d.nz; ++z)
    for (int64_t y = 0; y < d.ny; ++y)
      for (int64_t x = 0; x < d.nx; ++x)
        if (on_surface(m, d, z, y, x)) {
          out[size_t((z * d.ny + y) * d.nx + x)] = 0;
          ++count;
        }
  return count;
}

// Distances (mm) read at the zeros of `surface` from `dist`, sorted.
std::vector<float> directed(const std::vector<uint8_t>& surface, const std::vector<float>& dist) {
  std::vector<float> out;
  for (size_t i = 0; i < surface.size(); ++i)
    if (!surface[i]) out.push_back(dist[i]);
  std::sort(out.begin(), out.end());
  return out;
}

void set_surface_distances(VolumeMetrics& r, const uint8_t* pred, const uint8_t* target, const Dims& d, double sz,
                           double sy, double sx, double q) {
  std::vector<uint8_t> ps, ts;
  const int64_t np = not_surface(pred, d, ps), nt = not_surface(target, d, ts);
  if (np == 0 && nt == 0) return;  // both empty: 0
  if (np == 0 || nt == 0) {        // one empty: the largest distance two voxels can have
    const double dz = double(d.nz - 1) * sz, dy = double(d.ny - 1) * sy, dx = double(d.nx - 1) * sx;
    r.hd = r.hd95 = r.assd = std::sqrt(dx * dx + dy * dy + dz * dz);
    r.one_empty = true;
    return;
  }
  std::vector<float> to_pred(ps.size()), to_target(ts.size());
  // One scratch for both transforms, from the host cache (kernels/edt3d_kernels.h).
  const detail::Workspace ws(kernels::edt3d_cpu_workspace_bytes(1, d.nz, d.ny, d.nx), Device::cpu());
  kernels::edt3d_cpu(ps.data(), to_pred.data(), 1, d.nz, d.ny, d.nx, sz, sy, sx, kernels::EdtOutput::Distance,
                     ws.get());
  kernels::edt3d_cpu(ts.data(), to_target.data(), 1, d.nz, d.ny, d.nx, sz, sy, sx, kernels::EdtOutput::Distance,
                     ws.get());
  const std::vector<float> a = directed(ps, to_target), b = directed(ts, to_pred);  // pred -> target, back
  double hd[kernels::kNumHausdorff];
  kernels::metrics_hausdorff_values(a.data(), int64_t(a.size()), b.data(), int64_t(b.size()), q, hd);
  r.hd = hd[kernels::kHD];
  r.hd95 = hd[kernels::kHD95];
  double sum = 0;
  for (const float v : a) sum += v;
  for (const float v : b) sum += v;
  r.assd = sum / double(a.size() + b.size());
}

}  // namespace

VolumeMetrics volume_metrics(const uint8_t* pred, const uint8_t* target, int64_t nz, int64_t ny, int64_t nx, double sz,
                             double sy, double sx, double percentile) {
  FBD_CHECK(nz > 0 && ny > 0 && nx > 0, "volume_metrics: expected a volume of at least one voxel, got ", nz, " x ", ny,
            " x ", nx);
  FBD_CHECK(nz < kernels::kEdtMaxSide && ny < kernels::kEdtMaxSide && nx < kernels::kEdtMaxSide,
            "volume_metrics: volumes up to ", kernels::kEdtMaxSide - 1, " voxels a side, got ", nz, " x ", ny, " x ",
            nx);
  FBD_CHECK(sz > 0 && sy > 0 && sx > 0 && std::isfinite(sz) && std::isfinite(sy) && std::isfinite(sx),
            "volume_metrics: voxel spacing must be positive and finite, got (", sz, ", ", sy, ", ", sx, ")");
  FBD_CHECK(percentile >= 0 && percentile <= 100, "volume_metrics: percentile must be in [0, 100], got ", percentile);
  const Dims d{nz, ny, nx};
  VolumeMetrics r;
  for (int64_t i = 0; i < d.voxels(); ++i) {
    const bool p = pred[i] != 0, t = target[i] != 0;
    r.tp += p && t;
    r.fp += p && !t;
    r.fn += !p && t;
    r.tn += !p && !t;
  }
  const double tp = double(r.tp), fp = double(r.fp), fn = double(r.fn), tn = double(r.tn);
  r.dice = ratio(2 * tp, 2 * tp + fp + fn, 1.0);
  r.iou = ratio(tp, tp + fp + fn, 1.0);
  r.precision = ratio(tp, tp + fp, kNaN);
  r.sensitivity = ratio(tp, tp + fn, kNaN);
  r.specificity = ratio(tn, tn + fp, kNaN);
  const double ml_per_voxel = sx * sy * sz / 1000.0;
  r.pred_ml = (tp + fp) * ml_per_voxel;
  r.target_ml = (tp + fn) * ml_per_voxel;
  set_surface_distances(r, pred, target, d, sz, sy, sx, percentile);
  return r;
}

}  // namespace fbd
