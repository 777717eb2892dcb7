// CPU twin of instance_norm.cu: the plane sums with the fixed (plane, chunk) split of
// image_sums_cpu.h (16 float lanes per tile, double across tiles and chunks), the elementwise
// passes in parallel over planes. Bound: memory, 2 reads of x and a write of y forward; 2 reads
// of x and gy and a write of dx backward.
#include <vector>

#include "kernels/image_sums_cpu.h"
#include "kernels/instance_norm.cuh"
#include "kernels/instance_norm_kernels.h"

namespace fbd::kernels {

void instance_norm_forward_cpu(const float* x, float* y, const InstanceNormGeom& g, float eps, const float* gamma,
                               const float* beta, float* mean, float* invstd) {
  const int64_t P = g.planes(), M = g.HW;
  std::vector<double> sums(static_cast<size_t>(2 * P));
  cpu::image_sums<2>(P, M, sums.data(), [&](int64_t p, int64_t begin, int64_t len, float(*tile)[cpu::kTile]) {
    const float* xp = x + p * M;
    const float x0 = xp[0];
    for (int64_t i = 0; i < len; ++i) {
      const float d = xp[begin + i] - x0;
      tile[0][i] = d;
      tile[1][i] = d * d;
    }
  });
  for (int64_t p = 0; p < P; ++p) {  // from the plane sums rounded to float, as the CUDA kernel has them
    const PlaneStats st = instance_norm_stats(double(float(sums[size_t(2 * p)])),
                                              double(float(sums[size_t(2 * p + 1)])), x[p * M], M, eps);
    mean[p] = st.mean;
    invstd[p] = st.invstd;
  }
#pragma omp parallel for schedule(static) if (P * M > kCpuParallelThreshold)
  for (int64_t p = 0; p < P; ++p) {
    const int64_t c = p % g.C;
    const float m = mean[p], scale = (gamma ? gamma[c] : 1.0f) * invstd[p], b = beta ? beta[c] : 0.0f;
    const float* xp = x + p * M;
    float* yp = y + p * M;
    for (int64_t i = 0; i < M; ++i) yp[i] = instance_norm_apply(xp[i], m, scale, b);
  }
}

void instance_norm_backward_cpu(const float* x, const float* gy, const InstanceNormGeom& g, const float* gamma,
                                const float* mean, const float* invstd, float* dx, float* sums) {
  const int64_t P = g.planes(), M = g.HW;
  std::vector<double> s(static_cast<size_t>(2 * P));
  cpu::image_sums<2>(P, M, s.data(), [&](int64_t p, int64_t begin, int64_t len, float(*tile)[cpu::kTile]) {
    const float* xp = x + p * M + begin;
    const float* gp = gy + p * M + begin;
    const float m = mean[p], is = invstd[p];
    for (int64_t i = 0; i < len; ++i) {
      tile[0][i] = gp[i];
      tile[1][i] = gp[i] * instance_norm_xhat(xp[i], m, is);
    }
  });
  double t1 = 0.0, t2 = 0.0;
  for (int64_t p = 0; p < P; ++p) {  // rounded to float first, as the CUDA kernel's plane sums are
    sums[2 * p] = float(s[size_t(2 * p)]);
    sums[2 * p + 1] = float(s[size_t(2 * p + 1)]);
    t1 += double(sums[2 * p]);
    t2 += double(sums[2 * p + 1]);
  }
  sums[2 * P] = float(t1);
  sums[2 * P + 1] = float(t2);
#pragma omp parallel for schedule(static) if (P * M > kCpuParallelThreshold)
  for (int64_t p = 0; p < P; ++p) {
    const float m = mean[p], is = invstd[p];
    const float k = (gamma ? gamma[p % g.C] : 1.0f) * is;
    const float a = float(double(sums[2 * p]) / double(M)), b = float(double(sums[2 * p + 1]) / double(M));
    const float* xp = x + p * M;
    const float* gp = gy + p * M;
    float* dp = dx + p * M;
    for (int64_t i = 0; i < M; ++i) dp[i] = instance_norm_dx(gp[i], instance_norm_xhat(xp[i], m, is), k, a, b);
  }
}

}  // namespace fbd::kernels
