// CPU twin of dropout.cu (math in dropout.cuh): OpenMP over Philox blocks; every element is a
// pure function of (seed, offset, i), so the result does not depend on the thread count.
#include "kernels/dropout.cuh"
#include "kernels/dropout_kernels.h"

namespace fbd::kernels {

namespace {
float keep_scale(float p) { return p < 1.0f ? 1.0f / (1.0f - p) : 0.0f; }
}  // namespace

void dropout_forward_cpu(const float* x, float* y, uint8_t* mask, int64_t n, float p, uint64_t seed, uint64_t offset) {
  const float scale = keep_scale(p);
  const int64_t blocks = (n + 3) / 4;
#pragma omp parallel for schedule(static) if (n > kCpuParallelThreshold)
  for (int64_t b = 0; b < blocks; ++b) dropout_block(x, y, mask, b, n, p, scale, seed, offset);
}

void dropout_backward_cpu(const float* gy, const uint8_t* mask, float* gx, int64_t n, float scale) {
#pragma omp parallel for schedule(static) if (n > kCpuParallelThreshold)
  for (int64_t i = 0; i < n; ++i) gx[i] = dropout_grad(gy[i], mask[i], scale);
}

}  // namespace fbd::kernels
