// Dropout on CUDA. Math: dropout.cuh (shared with dropout_cpu.cpp).
//
// Threads: forward, one thread per Philox block of four elements (10 rounds of 32-bit
// multiplies per block, then four compares and stores); backward, one thread per element.
// Bound: memory; forward moves 9 bytes per element (x, y, mask), backward 9 (gy, mask, gx).
// The Philox rounds cost about 2.5 integer multiplies per element, well hidden on an H100.
#include "kernels/dropout.cuh"
#include "kernels/dropout_kernels.h"
#include "kernels/launch.cuh"

namespace fbd::kernels {
namespace {

__global__ void dropout_fwd_kernel(const float* __restrict__ x, float* __restrict__ y, uint8_t* __restrict__ mask,
                                   int64_t n, float p, float scale, uint64_t seed, uint64_t offset) {
  const int64_t blocks = (n + 3) / 4;
  for (int64_t b = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; b < blocks; b += int64_t(gridDim.x) * blockDim.x)
    dropout_block(x, y, mask, b, n, p, scale, seed, offset);
}

__global__ void dropout_bwd_kernel(const float* __restrict__ gy, const uint8_t* __restrict__ mask,
                                   float* __restrict__ gx, int64_t n, float scale) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    gx[i] = dropout_grad(gy[i], mask[i], scale);
}

}  // namespace

void dropout_forward_cuda(const float* x, float* y, uint8_t* mask, int64_t n, float p, uint64_t seed, uint64_t offset,
                          Stream s) {
  if (n == 0) return;
  const float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
  dropout_fwd_kernel<<<grid_for((n + 3) / 4), kBlock, 0, s>>>(x, y, mask, n, p, scale, seed, offset);
}

void dropout_backward_cuda(const float* gy, const uint8_t* mask, float* gx, int64_t n, float scale, Stream s) {
  if (n == 0) return;
  dropout_bwd_kernel<<<grid_for(n), kBlock, 0, s>>>(gy, mask, gx, n, scale);
}

}  // namespace fbd::kernels
