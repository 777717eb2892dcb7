// CPU twin of the exact 3-D EDT (formula and why it is exact: kernels/edt3d.cuh).
//
//   d2(z, y, x) = min_x' [ sx^2 (x - x')^2 + min_y' [ sy^2 (y - y')^2 + sz^2 h(z, y', x')^2 ] ]
//
// Pass 1, z: the 2-D column sweeps (edt_column_down / edt_column_up) over a chunk of up to
// kChunk neighbouring (y, x) columns at once, one z plane of the chunk per step, so memory is
// read plane by plane rather than with a stride of H*W. Parallel over (volume, chunk).
// Pass 2, y: edt3d_line_y on each (volume, z, x) line. Walked in place, a line reads one code
// every W * 4 bytes: with W a power of two those addresses fall into a handful of L1 sets, so
// the lines evict one another from L1. Instead a tile of kTile neighbouring lines is copied row
// by row (whole cache lines) into a transposed scratch, run there with stride 1, and copied back:
// the same arithmetic on the same values, so the same bits (about 5% faster on 256 x 256 planes:
// the envelope arithmetic, not memory, dominates).
// Pass 3, x: edt3d_row on each (contiguous) row. Parallel over lines in both passes.
// Per voxel: the input read once; a code written, read and rewritten (pass 1) and read (pass 2);
// a double written (pass 2) and read (pass 3); the output written once. The envelopes are the
// arithmetic bound: a few double multiply-adds per voxel and pass, and one sqrt per voxel.
// Results do not depend on the thread count: every line is computed alone.
// Compiled with -ffp-contract=off (kernels/CMakeLists.txt), as edt_cpu.cpp.
#include <algorithm>
#include <memory>
#include <vector>

#include "kernels/edt3d.cuh"

namespace fbd::kernels {
namespace {

constexpr int64_t kChunk = 256;
constexpr int64_t kTile = 16;  // y lines per tile of pass 2: one 64-byte line of int32 codes per row

// Pass 1: the z sweeps. An (N, D, H, W) volume is here N images of D rows and H*W columns.
template <typename T>
void z_pass(const T* in, int32_t* code, int64_t batch, int64_t depth, int64_t columns) {
  const int64_t chunks = (columns + kChunk - 1) / kChunk, volume = depth * columns;
  const int32_t d = int32_t(depth);
#pragma omp parallel if (batch * volume > kCpuParallelThreshold)
  {
    std::vector<int32_t> a(static_cast<size_t>(kChunk)), b(static_cast<size_t>(kChunk));
#pragma omp for schedule(static)
    for (int64_t item = 0; item < batch * chunks; ++item) {
      const int64_t n = item / chunks, c0 = (item % chunks) * kChunk, len = std::min(kChunk, columns - c0);
      const T* src = in + n * volume + c0;
      int32_t* dst = code + n * volume + c0;
      std::fill(a.begin(), a.end(), -1);
      std::fill(b.begin(), b.end(), -1);
      for (int32_t z = 0; z < d; ++z)
        for (int64_t i = 0; i < len; ++i)
          dst[z * columns + i] = edt_column_down(src[z * columns + i] != T(0), z, a[size_t(i)], b[size_t(i)]);
      std::fill(a.begin(), a.end(), -1);
      std::fill(b.begin(), b.end(), -1);
      for (int32_t z = d - 1; z >= 0; --z)
        for (int64_t i = 0; i < len; ++i)
          dst[z * columns + i] = edt_column_up(dst[z * columns + i], z, a[size_t(i)], b[size_t(i)]);
    }
  }
}

template <typename T>
void run(const T* in, float* out, int64_t batch, int64_t depth, int64_t height, int64_t width, double sz, double sy,
         double sx, EdtOutput mode, void* workspace) {
  const int64_t plane = height * width, voxels = batch * depth * plane;
  if (voxels == 0) return;
  const bool parallel = voxels > kCpuParallelThreshold;
  // Both scratch arrays are written in full before they are read (pass 1 writes every code,
  // pass 2 every double), so they need no initialising.
  std::unique_ptr<double[]> own;
  if (workspace == nullptr) {
    own.reset(new double[size_t(voxels) + (size_t(voxels) + 1) / 2]);
    workspace = own.get();
  }
  double* const p2_data = static_cast<double*>(workspace);
  int32_t* const code_data = reinterpret_cast<int32_t*>(p2_data + voxels);
  z_pass(in, code_data, batch, depth, plane);

  const double sz2 = sz * sz, sy2 = sy * sy, sx2 = sx * sx;
  const int32_t h = int32_t(height), w = int32_t(width);
  const int64_t tiles = (width + kTile - 1) / kTile;
#pragma omp parallel if (parallel)
  {
    std::vector<int32_t> sites(static_cast<size_t>(std::max(height, width)));
    std::vector<int32_t> starts(sites.size());
    std::vector<int32_t> tcode(static_cast<size_t>(kTile * height));  // tile line i at [i * height, ...)
    std::vector<double> tp2(tcode.size());
#pragma omp for schedule(static)
    for (int64_t item = 0; item < batch * depth * tiles; ++item) {
      const int64_t x0 = (item % tiles) * kTile, len = std::min(kTile, width - x0);
      const int32_t* src = code_data + (item / tiles) * plane + x0;
      double* dst = p2_data + (item / tiles) * plane + x0;
      for (int64_t y = 0; y < height; ++y)
        for (int64_t i = 0; i < len; ++i) tcode[size_t(i * height + y)] = src[y * width + i];
      for (int64_t i = 0; i < len; ++i)
        edt3d_line_y(tcode.data() + i * height, tp2.data() + i * height, h, 1, mode, sy2, sz2, sites.data(),
                     starts.data());
      for (int64_t y = 0; y < height; ++y)
        for (int64_t i = 0; i < len; ++i) dst[y * width + i] = tp2[size_t(i * height + y)];
    }
#pragma omp for schedule(static)
    for (int64_t r = 0; r < batch * depth * height; ++r)
      edt3d_row(p2_data + r * width, out + r * width, w, mode, sx2, sites.data(), starts.data());
  }
}

}  // namespace

size_t edt3d_cpu_workspace_bytes(int64_t batch, int64_t depth, int64_t height, int64_t width) {
  const size_t voxels = size_t(batch * depth * height * width);
  return voxels * sizeof(double) + (voxels + 1) / 2 * sizeof(double);  // the codes packed two to a double
}

void edt3d_cpu(const uint8_t* input, float* out, int64_t batch, int64_t depth, int64_t height, int64_t width,
               double spacing_z, double spacing_y, double spacing_x, EdtOutput mode, void* workspace) {
  run(input, out, batch, depth, height, width, spacing_z, spacing_y, spacing_x, mode, workspace);
}

void edt3d_cpu(const float* input, float* out, int64_t batch, int64_t depth, int64_t height, int64_t width,
               double spacing_z, double spacing_y, double spacing_x, EdtOutput mode, void* workspace) {
  run(input, out, batch, depth, height, width, spacing_z, spacing_y, spacing_x, mode, workspace);
}

}  // namespace fbd::kernels
