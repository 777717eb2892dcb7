// CPU twin of activation.cu: elementwise, bit-identical for any thread count.
#include "kernels/activation.cuh"
#include "kernels/activation_kernels.h"

namespace fbd::kernels {

void leaky_relu_forward_cpu(const float* x, float* y, int64_t n, float slope) {
#pragma omp parallel for schedule(static) if (n > kCpuParallelThreshold)
  for (int64_t i = 0; i < n; ++i) y[i] = leaky_relu_fwd(x[i], slope);
}

void leaky_relu_backward_cpu(const float* x, const float* gy, float* gx, int64_t n, float slope) {
#pragma omp parallel for schedule(static) if (n > kCpuParallelThreshold)
  for (int64_t i = 0; i < n; ++i) gx[i] = leaky_relu_bwd(x[i], gy[i], slope);
}

}  // namespace fbd::kernels
