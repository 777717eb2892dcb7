// CPU twin of batch normalisation (formulas in batchnorm.h). Statistics and parameter
// gradients sum in double per channel, one channel per thread; the elementwise passes run in
// parallel over (sample, channel) planes. Bound: memory (3 passes over x in training forward,
// 2 in backward), the arithmetic is a few flops per element.
#include <algorithm>
#include <cmath>

#include "kernels/batchnorm.cuh"
#include "kernels/batchnorm_kernels.h"

namespace fbd::kernels {

void bn_stats_cpu(const float* x, int64_t N, int64_t C, int64_t HW, float* mean, float* var) {
  const double M = double(N * HW);
#pragma omp parallel for schedule(static) if (N * C * HW > kCpuParallelThreshold)
  for (int64_t c = 0; c < C; ++c) {
    double s = 0.0, ss = 0.0;
    for (int64_t n = 0; n < N; ++n) {
      const float* p = x + (n * C + c) * HW;
      // Eight double lanes per sum (vectorisable, and a fixed order).
      double ls[8] = {}, lss[8] = {};
      int64_t i = 0;
      for (; i + 8 <= HW; i += 8) {
        for (int l = 0; l < 8; ++l) {
          const double v = p[i + l];
          ls[l] += v;
          lss[l] += v * v;
        }
      }
      for (; i < HW; ++i) {
        const double v = p[i];
        ls[0] += v;
        lss[0] += v * v;
      }
      for (int l = 0; l < 8; ++l) {
        s += ls[l];
        ss += lss[l];
      }
    }
    const double m = s / M;
    mean[c] = float(m);
    var[c] = float(std::max(ss / M - m * m, 0.0));
  }
}

void bn_apply_cpu(const float* x, float* y, int64_t N, int64_t C, int64_t HW, const float* mean, const float* scale,
                  const float* beta) {
#pragma omp parallel for schedule(static) if (N * C * HW > kCpuParallelThreshold)
  for (int64_t pl = 0; pl < N * C; ++pl) {
    const float m = mean[pl % C], a = scale[pl % C], b = beta[pl % C];
    const float* xp = x + pl * HW;
    float* yp = y + pl * HW;
    for (int64_t i = 0; i < HW; ++i) yp[i] = bn_apply(xp[i], m, a, b);
  }
}

void bn_backward_cpu(const float* x, const float* dy, int64_t N, int64_t C, int64_t HW, const float* mean,
                     const float* invstd, const float* gamma, bool training, float* dx, float* dgamma, float* dbeta) {
  const bool par = N * C * HW > kCpuParallelThreshold;
#pragma omp parallel for schedule(static) if (par)
  for (int64_t c = 0; c < C; ++c) {
    const float m = mean[c];
    double sd = 0.0, sdx = 0.0;  // sum dy, sum dy*(x - mean)
    for (int64_t n = 0; n < N; ++n) {
      const float* xp = x + (n * C + c) * HW;
      const float* gp = dy + (n * C + c) * HW;
      double l1[8] = {}, l2[8] = {};
      int64_t i = 0;
      for (; i + 8 <= HW; i += 8) {
        for (int l = 0; l < 8; ++l) {
          const double g = gp[i + l];
          l1[l] += g;
          l2[l] += g * double(xp[i + l] - m);
        }
      }
      for (; i < HW; ++i) {
        l1[0] += gp[i];
        l2[0] += double(gp[i]) * double(xp[i] - m);
      }
      for (int l = 0; l < 8; ++l) {
        sd += l1[l];
        sdx += l2[l];
      }
    }
    dbeta[c] = float(sd);
    dgamma[c] = float(sdx * invstd[c]);
  }
  if (dx == nullptr) return;
  const float Mf = float(N * HW);
#pragma omp parallel for schedule(static) if (par)
  for (int64_t pl = 0; pl < N * C; ++pl) {
    const int64_t c = pl % C;
    const float k = gamma[c] * invstd[c], m = mean[c], is = invstd[c];
    const float* xp = x + pl * HW;
    const float* gp = dy + pl * HW;
    float* o = dx + pl * HW;
    if (training) {
      const float a = dbeta[c] / Mf, b = dgamma[c] / Mf;
      for (int64_t i = 0; i < HW; ++i) o[i] = bn_dx_train(gp[i], (xp[i] - m) * is, k, a, b);
    } else {
      for (int64_t i = 0; i < HW; ++i) o[i] = k * gp[i];
    }
  }
}

}  // namespace fbd::kernels
