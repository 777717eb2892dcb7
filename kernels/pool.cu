// Max and average pooling on CUDA. Math: pool.cuh (shared with pool_cpu.cpp).
//
// Threads: one thread per output element (forward) or per input element (backward, a gather
// over the outputs whose window covers it, so no atomics and a fixed summation order), in a
// grid-stride loop. Average pooling runs as two separable passes through a [planes, H, Wo]
// workspace; each pass is its own launch.
// Bound: memory for the small windows of the network (2x2, 3x3): each output reads its window
// from L1/L2 and writes 4 bytes (8 with the argmax). The 31x31 average window is bound by the
// kh + kw = 62 adds per output, still far below the H100's arithmetic rate per byte.
#include "kernels/launch.cuh"
#include "kernels/pool.cuh"

namespace fbd::kernels {
namespace {

__global__ void max_fwd_kernel(const float* __restrict__ x, float* __restrict__ y, int32_t* __restrict__ idx,
                               PoolGeom g, int64_t total) {
  const int64_t out = g.Ho * g.Wo;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t p = i / out, r = i % out;
    y[i] = max_pool_at(x + p * g.H * g.W, r / g.Wo, r % g.Wo, g, idx[i]);
  }
}

__global__ void max_bwd_kernel(const float* __restrict__ gy, const int32_t* __restrict__ idx, float* __restrict__ gx,
                               PoolGeom g, int64_t total) {
  const int64_t out = g.Ho * g.Wo, in = g.H * g.W;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t p = i / in, r = i % in;
    gx[i] = max_pool_grad_at(gy + p * out, idx + p * out, r / g.W, r % g.W, g);
  }
}

// Pass over [planes, H, Wo]: t = horizontal window sums of x (forward) or u = vertical
// adjoint of gy (backward).
template <bool BACKWARD>
__global__ void avg_pass1_kernel(const float* __restrict__ in, float* __restrict__ t, PoolGeom g, bool cip,
                                 int64_t total) {
  const int64_t per = g.H * g.Wo;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t p = i / per, r = i % per, h = r / g.Wo, ow = r % g.Wo;
    if constexpr (BACKWARD)
      t[i] = avg_grad_col(in + p * g.Ho * g.Wo, h, ow, g, cip);
    else
      t[i] = avg_row_sum(in + p * g.H * g.W, h, ow, g);
  }
}

// Second pass: y over [planes, Ho, Wo] (forward) or gx over [planes, H, W] (backward).
template <bool BACKWARD>
__global__ void avg_pass2_kernel(const float* __restrict__ t, float* __restrict__ out, PoolGeom g, bool cip,
                                 int64_t total) {
  const int64_t rows = BACKWARD ? g.H : g.Ho, cols = BACKWARD ? g.W : g.Wo;
  const int64_t per = rows * cols;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t p = i / per, r = i % per;
    const float* tp = t + p * g.H * g.Wo;
    if constexpr (BACKWARD)
      out[i] = avg_grad_row(tp, r / cols, r % cols, g);
    else
      out[i] = avg_col_sum(tp, r / cols, r % cols, g, cip);
  }
}

}  // namespace

void max_pool_forward_cuda(const float* x, float* y, int32_t* idx, const PoolGeom& g, Stream s) {
  const int64_t total = g.planes * g.Ho * g.Wo;
  if (total == 0) return;
  max_fwd_kernel<<<grid_for(total), kBlock, 0, s>>>(x, y, idx, g, total);
}

void max_pool_backward_cuda(const float* gy, const int32_t* idx, float* gx, const PoolGeom& g, Stream s) {
  const int64_t total = g.planes * g.H * g.W;
  if (total == 0) return;
  max_bwd_kernel<<<grid_for(total), kBlock, 0, s>>>(gy, idx, gx, g, total);
}

void avg_pool_forward_cuda(const float* x, float* y, const PoolGeom& g, bool cip, float* t, Stream s) {
  const int64_t t_total = g.planes * g.H * g.Wo, y_total = g.planes * g.Ho * g.Wo;
  if (y_total == 0) return;
  avg_pass1_kernel<false><<<grid_for(t_total), kBlock, 0, s>>>(x, t, g, cip, t_total);
  avg_pass2_kernel<false><<<grid_for(y_total), kBlock, 0, s>>>(t, y, g, cip, y_total);
}

void avg_pool_backward_cuda(const float* gy, float* gx, const PoolGeom& g, bool cip, float* u, Stream s) {
  const int64_t u_total = g.planes * g.H * g.Wo, x_total = g.planes * g.H * g.W;
  if (x_total == 0) return;
  avg_pass1_kernel<true><<<grid_for(u_total), kBlock, 0, s>>>(gy, u, g, cip, u_total);
  avg_pass2_kernel<true><<<grid_for(x_total), kBlock, 0, s>>>(u, gx, g, cip, x_total);
}

}  // namespace fbd::kernels
