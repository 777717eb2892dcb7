// CPU twin of upsample.cu (math in upsample.cuh). Forward: one output per iteration, OpenMP
// over planes. Backward: the gather of upsample.cuh, with the per-row and per-column output
// ranges computed once per call instead of per element.
#include <algorithm>
#include <cstddef>
#include <vector>

#include "kernels/upsample.cuh"
#include "kernels/upsample_kernels.h"

namespace fbd::kernels {

float upsample_scale(int64_t in, int64_t out, bool align_corners, double scale_factor) {
  if (align_corners) return out > 1 ? float(in - 1) / float(out - 1) : 0.0f;
  if (scale_factor > 0) return float(1.0 / scale_factor);
  return float(in) / float(out);
}

namespace {
// The source indices and weights of every output row and column, computed once per call
// (lerp_source, the same function the CUDA kernels evaluate per element).
std::vector<Lerp1d> lerp_table(int64_t in, int64_t out, float scale, bool ac) {
  std::vector<Lerp1d> t(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) t[size_t(o)] = lerp_source(o, in, out, scale, ac);
  return t;
}
}  // namespace

void upsample_bilinear_forward_cpu(const float* x, float* y, const UpsampleGeom& g) {
  const std::vector<Lerp1d> th = lerp_table(g.H, g.Ho, g.scale_h, g.align_corners);
  const std::vector<Lerp1d> tw = lerp_table(g.W, g.Wo, g.scale_w, g.align_corners);
  const int64_t out = g.Ho * g.Wo;
#pragma omp parallel for schedule(static) if (g.planes * out > kCpuParallelThreshold)
  for (int64_t p = 0; p < g.planes; ++p) {
    const float* xp = x + p * g.H * g.W;
    float* yp = y + p * out;
    for (int64_t oh = 0; oh < g.Ho; ++oh) {
      const Lerp1d h = th[size_t(oh)];
      const float* r0 = xp + h.i0 * g.W;
      const float* r1 = xp + h.i1 * g.W;
      float* yr = yp + oh * g.Wo;
      for (int64_t ow = 0; ow < g.Wo; ++ow) {
        const Lerp1d w = tw[size_t(ow)];
        yr[ow] = h.l0 * (w.l0 * r0[w.i0] + w.l1 * r0[w.i1]) + h.l1 * (w.l0 * r1[w.i0] + w.l1 * r1[w.i1]);
      }
    }
  }
}

// The CPU backward scatters instead of gathering (the CUDA kernel gathers so that it needs no
// atomics; here one thread owns each plane, so a scatter is deterministic too, and cheaper): per
// output row, the gradient is spread along the row into a buffer by the column weights, and the
// buffer is added to the two input rows it came from with the row weights.
void upsample_bilinear_backward_cpu(const float* gy, float* gx, const UpsampleGeom& g) {
  const std::vector<Lerp1d> th = lerp_table(g.H, g.Ho, g.scale_h, g.align_corners);
  const std::vector<Lerp1d> tw = lerp_table(g.W, g.Wo, g.scale_w, g.align_corners);
  const int64_t in = g.H * g.W, out = g.Ho * g.Wo;
#pragma omp parallel for schedule(static) if (g.planes * out > kCpuParallelThreshold)
  for (int64_t p = 0; p < g.planes; ++p) {
    const float* gp = gy + p * out;
    float* xp = gx + p * in;
    std::vector<float> row(static_cast<size_t>(g.W));
    for (int64_t i = 0; i < in; ++i) xp[i] = 0.0f;
    for (int64_t oh = 0; oh < g.Ho; ++oh) {
      std::fill(row.begin(), row.end(), 0.0f);
      const float* gr = gp + oh * g.Wo;
      for (int64_t ow = 0; ow < g.Wo; ++ow) {
        const Lerp1d w = tw[size_t(ow)];
        row[size_t(w.i0)] += w.l0 * gr[ow];
        row[size_t(w.i1)] += w.l1 * gr[ow];
      }
      const Lerp1d h = th[size_t(oh)];
      float* x0 = xp + h.i0 * g.W;
      float* x1 = xp + h.i1 * g.W;
      for (int64_t i = 0; i < g.W; ++i) x0[i] += h.l0 * row[size_t(i)];
      for (int64_t i = 0; i < g.W; ++i) x1[i] += h.l1 * row[size_t(i)];
    }
  }
}

}  // namespace fbd::kernels
