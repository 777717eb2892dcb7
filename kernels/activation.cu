// LeakyReLU and PReLU on CUDA. Math: activation.cuh.
//
// LeakyReLU, PReLU forward: a grid-stride loop, one element per iteration (PReLU looks up the
// slope of the element's plane). Bound: memory (8 bytes per element forward, 12 backward), like
// core's unary ops.
//
// PReLU backward writes gx and sums the slope gradient per plane (p = n * C + c) in one pass,
// with the image-chunk decomposition of image_sums.cuh (the planes as images): block
// (p, b) walks chunk b of plane p, so every block reads one slope; its threads accumulate
// [x <= 0] x gy in registers, the block adds them (block_sum, a fixed order) and writes one
// partial; the last block to finish adds the partials of each plane in block order, in double,
// and the plane sums into a last row over all planes (finish_image_sums). No float atomics:
// the result repeats bit for bit on the same GPU. Bound: memory, 12 bytes per element (read x
// and gy, write gx), the same as LeakyReLU's backward.
#include "kernels/activation.cuh"
#include "kernels/activation_kernels.h"
#include "kernels/image_sums.cuh"
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

__global__ void prelu_fwd_kernel(const float* __restrict__ x, const float* __restrict__ a, float* __restrict__ y,
                                 PreluGeom g, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = leaky_relu_fwd(x[i], prelu_slope(a, i / g.inner, g));
}

__global__ void __launch_bounds__(kBlock)
    prelu_bwd_kernel(const float* __restrict__ x, const float* __restrict__ a, const float* __restrict__ gy,
                     float* __restrict__ gx, PreluGeom g, int64_t B, int64_t chunk, float* partial,
                     unsigned int* blocks_done, float* plane_sums) {
  const int64_t p = blockIdx.x / B, b = blockIdx.x % B;
  const int64_t begin = b * chunk, end = min(g.inner, begin + chunk);
  const float s = prelu_slope(a, p, g);
  const float* xp = x + p * g.inner;
  const float* gp = gy + p * g.inner;
  float* dp = gx + p * g.inner;
  float acc[1] = {0.0f};
  for (int64_t i = begin + threadIdx.x; i < end; i += kBlock) {
    const float xv = xp[i], gv = gp[i];
    dp[i] = leaky_relu_bwd(xv, gv, s);
    acc[0] += prelu_slope_grad(xv, gv);
  }
  block_sum<1>(acc);
  if (threadIdx.x == 0) partial[blockIdx.x] = acc[0];
  if (last_block(blocks_done, gridDim.x)) finish_image_sums(partial, plane_sums, g.planes(), B, 1);
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

void prelu_forward_cuda(const float* x, const float* a, float* y, const PreluGeom& g, Stream s) {
  const int64_t n = g.numel();
  if (n == 0) return;
  prelu_fwd_kernel<<<grid_for(n), kBlock, 0, s>>>(x, a, y, g, n);
}

size_t prelu_backward_workspace_bytes(const PreluGeom& g) {
  const ImagePlan plan = image_plan(g.planes(), g.inner);
  return image_sums_workspace_bytes(g.planes() * plan.blocks_per_image, 1);
}

LaunchStatus prelu_backward_cuda(const float* x, const float* a, const float* gy, float* gx, float* plane_sums,
                                 const PreluGeom& g, void* workspace, Stream s) {
  if (g.planes() == 0) return {};
  const ImagePlan plan = image_plan(g.planes(), g.inner);
  const ImageSumsWorkspace ws = image_sums_workspace(workspace);
  const LaunchStatus st = clear_counter(ws.counter, s);
  if (!st.ok()) return st;
  const int64_t blocks = g.planes() * plan.blocks_per_image;
  prelu_bwd_kernel<<<unsigned(blocks), kBlock, 0, s>>>(x, a, gy, gx, g, plan.blocks_per_image, plan.chunk, ws.partial,
                                                       ws.counter, plane_sums);
  return {};
}

}  // namespace fbd::kernels
