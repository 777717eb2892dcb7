// CPU im2col / col2im (formulas in im2col.h). Both are pure data movement: im2col writes
// C*kh*kw*Ho*Wo floats per sample (kh*kw times the input for stride 1), so on a GEMM-bound
// convolution it costs a memory pass per tap; rows are written contiguously, with the
// stride-1 interior as a straight copy the compiler vectorises.
#include <omp.h>

#include <cstring>

#include "kernels/im2col.cuh"
#include "kernels/im2col_kernels.h"

namespace fbd::kernels {

void im2col_cpu(const float* x, float* col, int64_t nb, const ConvGeom& g) {
  const int64_t rows = g.rows(), P = g.plane_out(), ncols = nb * P;
  const bool par = rows * ncols > kCpuParallelThreshold && omp_get_level() == 0;
#pragma omp parallel for collapse(2) schedule(static) if (par)
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t n = 0; n < nb; ++n) {
      const int64_t c = r / (g.kh * g.kw), ky = (r / g.kw) % g.kh, kx = r % g.kw;
      const float* xp = x + (n * g.C + c) * g.H * g.W;
      float* out = col + r * ncols + n * P;
      int64_t oh0, oh1, ow0, ow1;
      conv_valid_range(ky, g.sh, g.ph, g.dh, g.H, g.Ho, oh0, oh1);
      conv_valid_range(kx, g.sw, g.pw, g.dw, g.W, g.Wo, ow0, ow1);
      for (int64_t oh = 0; oh < g.Ho; ++oh) {
        float* o = out + oh * g.Wo;
        if (oh < oh0 || oh >= oh1) {
          std::memset(o, 0, size_t(g.Wo) * sizeof(float));
          continue;
        }
        // Index arithmetic, not pointers: the row base may lie before the plane (padding).
        const int64_t base = (oh * g.sh - g.ph + ky * g.dh) * g.W + (kx * g.dw - g.pw);
        for (int64_t ow = 0; ow < ow0; ++ow) o[ow] = 0.0f;
        if (g.sw == 1) {
          const float* xr = xp + (base + ow0);
          for (int64_t ow = ow0; ow < ow1; ++ow) o[ow] = xr[ow - ow0];
        } else {
          for (int64_t ow = ow0; ow < ow1; ++ow) o[ow] = xp[base + ow * g.sw];
        }
        for (int64_t ow = ow1; ow < g.Wo; ++ow) o[ow] = 0.0f;
      }
    }
  }
}

void col2im_cpu(const float* col, float* x, int64_t nb, const ConvGeom& g) {
  const int64_t P = g.plane_out(), ncols = nb * P, planes = nb * g.C;
  const bool par = g.rows() * ncols > kCpuParallelThreshold && omp_get_level() == 0;
#pragma omp parallel for schedule(static) if (par)
  for (int64_t pl = 0; pl < planes; ++pl) {
    const int64_t n = pl / g.C, c = pl % g.C;
    float* xp = x + pl * g.H * g.W;
    std::memset(xp, 0, size_t(g.H * g.W) * sizeof(float));
    for (int64_t ky = 0; ky < g.kh; ++ky) {
      for (int64_t kx = 0; kx < g.kw; ++kx) {
        const float* in = col + ((c * g.kh + ky) * g.kw + kx) * ncols + n * P;
        int64_t oh0, oh1, ow0, ow1;
        conv_valid_range(ky, g.sh, g.ph, g.dh, g.H, g.Ho, oh0, oh1);
        conv_valid_range(kx, g.sw, g.pw, g.dw, g.W, g.Wo, ow0, ow1);
        for (int64_t oh = oh0; oh < oh1; ++oh) {
          const int64_t base = (oh * g.sh - g.ph + ky * g.dh) * g.W + (kx * g.dw - g.pw);
          const float* ir = in + oh * g.Wo;
          if (g.sw == 1) {
            float* xr = xp + (base + ow0);
            for (int64_t ow = ow0; ow < ow1; ++ow) xr[ow - ow0] += ir[ow];
          } else {
            for (int64_t ow = ow0; ow < ow1; ++ow) xp[base + ow * g.sw] += ir[ow];
          }
        }
      }
    }
  }
}

}  // namespace fbd::kernels
