// CPU twin of upsample.cu (math in upsample.cuh). Forward: one output per iteration, OpenMP
// over planes. Backward: the gather of upsample.cuh, with the per-row and per-column output
// ranges computed once per call instead of per element.
#include <cstddef>
#include <vector>

#include "kernels/upsample.cuh"
#include "kernels/upsample.h"

namespace fbd::kernels {

float upsample_scale(int64_t in, int64_t out, bool align_corners, double scale_factor) {
  if (align_corners) return out > 1 ? float(in - 1) / float(out - 1) : 0.0f;
  if (scale_factor > 0) return float(1.0 / scale_factor);
  return float(in) / float(out);
}

void upsample_bilinear_forward_cpu(const float* x, float* y, const UpsampleGeom& g) {
  const int64_t out = g.Ho * g.Wo;
#pragma omp parallel for schedule(static) if (g.planes * out > kCpuParallelThreshold)
  for (int64_t p = 0; p < g.planes; ++p) {
    const float* xp = x + p * g.H * g.W;
    float* yp = y + p * out;
    for (int64_t oh = 0; oh < g.Ho; ++oh)
      for (int64_t ow = 0; ow < g.Wo; ++ow) yp[oh * g.Wo + ow] = bilinear_at(xp, oh, ow, g);
  }
}

void upsample_bilinear_backward_cpu(const float* gy, float* gx, const UpsampleGeom& g) {
  std::vector<int64_t> rh(static_cast<size_t>(2 * g.H)), rw(static_cast<size_t>(2 * g.W));
  for (int64_t h = 0; h < g.H; ++h)
    lerp_outputs_reading(h, g.H, g.Ho, g.scale_h, g.align_corners, rh[size_t(2 * h)], rh[size_t(2 * h + 1)]);
  for (int64_t w = 0; w < g.W; ++w)
    lerp_outputs_reading(w, g.W, g.Wo, g.scale_w, g.align_corners, rw[size_t(2 * w)], rw[size_t(2 * w + 1)]);
  const int64_t in = g.H * g.W, out = g.Ho * g.Wo;
#pragma omp parallel for schedule(static) if (g.planes * out > kCpuParallelThreshold)
  for (int64_t p = 0; p < g.planes; ++p) {
    const float* gp = gy + p * out;
    float* xp = gx + p * in;
    for (int64_t h = 0; h < g.H; ++h)
      for (int64_t w = 0; w < g.W; ++w)
        xp[h * g.W + w] = bilinear_grad_at(gp, h, w, rh[size_t(2 * h)], rh[size_t(2 * h + 1)], rw[size_t(2 * w)],
                                           rw[size_t(2 * w + 1)], g);
  }
}

}  // namespace fbd::kernels
