// CPU twin of activation.cu: elementwise, bit-identical for any thread count. The PReLU slope
// gradient is summed per plane with the fixed (plane, chunk) split of image_sums_cpu.h.
#include <vector>

#include "kernels/activation.cuh"
#include "kernels/activation_kernels.h"
#include "kernels/image_sums_cpu.h"

namespace fbd::kernels {

void leaky_relu_forward_cpu(const float* x, float* y, int64_t n, float slope) {
#pragma omp parallel for schedule(static) if (n > kCpuParallelThreshold)
  for (int64_t i = 0; i < n; ++i) y[i] = leaky_relu_fwd(x[i], slope);
}

void leaky_relu_backward_cpu(const float* x, const float* gy, float* gx, int64_t n, float slope) {
#pragma omp parallel for schedule(static) if (n > kCpuParallelThreshold)
  for (int64_t i = 0; i < n; ++i) gx[i] = leaky_relu_bwd(x[i], gy[i], slope);
}

void prelu_forward_cpu(const float* x, const float* a, float* y, const PreluGeom& g) {
  const int64_t inner = g.inner;
#pragma omp parallel for schedule(static) if (g.numel() > kCpuParallelThreshold)
  for (int64_t p = 0; p < g.planes(); ++p) {
    const float s = prelu_slope(a, p, g);
    const float* xp = x + p * inner;
    float* yp = y + p * inner;
    for (int64_t i = 0; i < inner; ++i) yp[i] = leaky_relu_fwd(xp[i], s);
  }
}

void prelu_backward_cpu(const float* x, const float* a, const float* gy, float* gx, float* plane_sums,
                        const PreluGeom& g) {
  const int64_t P = g.planes(), inner = g.inner;
  std::vector<double> sums(static_cast<size_t>(P));
  // One pass: each tile writes its gx and fills the tile of slope-gradient terms that is summed.
  cpu::image_sums<1>(P, inner, sums.data(), [&](int64_t p, int64_t begin, int64_t len, float(*tile)[cpu::kTile]) {
    const float s = prelu_slope(a, p, g);
    const float* xp = x + p * inner + begin;
    const float* gp = gy + p * inner + begin;
    float* dp = gx + p * inner + begin;
    for (int64_t i = 0; i < len; ++i) {
      dp[i] = leaky_relu_bwd(xp[i], gp[i], s);
      tile[0][i] = prelu_slope_grad(xp[i], gp[i]);
    }
  });
  double total = 0.0;
  for (int64_t p = 0; p < P; ++p) {  // the total adds the rounded plane sums, as the CUDA kernel does
    plane_sums[p] = float(sums[size_t(p)]);
    total += double(plane_sums[p]);
  }
  plane_sums[P] = float(total);
}

}  // namespace fbd::kernels
