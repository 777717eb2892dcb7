// LeakyReLU on CUDA. Math: activation.cuh. Threads: a grid-stride loop, one element per
// iteration. Bound: memory (8 bytes per element forward, 12 backward), like core's unary ops.
#include "kernels/activation.cuh"
#include "kernels/activation_kernels.h"
#include "kernels/launch.cuh"

namespace fbd::kernels {
namespace {

__global__ void leaky_fwd_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n, float a) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = leaky_relu_fwd(x[i], a);
}

__global__ void leaky_bwd_kernel(const float* __restrict__ x, const float* __restrict__ gy, float* __restrict__ gx,
                                 int64_t n, float a) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    gx[i] = leaky_relu_bwd(x[i], gy[i], a);
}

}  // namespace

void leaky_relu_forward_cuda(const float* x, float* y, int64_t n, float slope, Stream s) {
  if (n == 0) return;
  leaky_fwd_kernel<<<grid_for(n), kBlock, 0, s>>>(x, y, n, slope);
}

void leaky_relu_backward_cuda(const float* x, const float* gy, float* gx, int64_t n, float slope, Stream s) {
  if (n == 0) return;
  leaky_bwd_kernel<<<grid_for(n), kBlock, 0, s>>>(x, gy, gx, n, slope);
}

}  // namespace fbd::kernels
