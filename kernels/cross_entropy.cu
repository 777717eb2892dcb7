// Cross-entropy on CUDA. Formulas: cross_entropy_kernels.h; math: cross_entropy.cuh; the
// derivation and the numbers: docs/kernels/cross_entropy.md.
//
// Threads. Forward, two launches:
//  1. One warp per row (8 rows per block of 256 threads, a grid-stride loop over rows): the
//     lanes stride over the K logits (coalesced), take the row maximum (a butterfly of
//     __shfl_xor_sync, so every lane has it), then sum exp(z - m), z and the non-finite count
//     (__shfl_down_sync, a fixed order); lane 0 reads z_y and writes lse_i, l_i and the bad
//     count of the row.
//  2. One block adds the row losses and bad counts: thread t takes rows t, t + 256, ... in
//     order, in double, and the 256 partials are added in a fixed tree in shared memory.
//     L = sum / N. No float atomics: results repeat bit for bit on the same GPU.
// Backward, one launch: a grid-stride loop over the N*K logits, dz = (p - q) grad / N with the
// row's lse from the forward.
// Bound: for a classifier's batch (N up to a few hundred, K from 2 to 1000) the launches
// themselves: the data is a few kB to a MB. Per logit the forward reads z twice (the second
// time from L1) and the backward reads z and writes dz: 4 and 8 bytes per logit.
#include "kernels/cross_entropy.cuh"
#include "kernels/cross_entropy_kernels.h"
#include "kernels/launch.cuh"

namespace fbd::kernels {
namespace {

constexpr int kWarpsPerBlock = kBlock / 32;

__global__ void __launch_bounds__(kBlock) ce_rows_kernel(const float* __restrict__ z, const float* __restrict__ y,
                                                         CrossEntropyGeom g, float* __restrict__ stats) {
  const int lane = threadIdx.x & 31;
  const int64_t first = int64_t(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5);
  const int64_t stride = int64_t(gridDim.x) * kWarpsPerBlock;
  const int64_t N = g.N, K = g.K;
  for (int64_t i = first; i < N; i += stride) {
    const float* zi = z + i * K;
    float m = -INFINITY;
    for (int64_t k = lane; k < K; k += 32) m = fmaxf(m, zi[k]);
    for (int off = 16; off > 0; off >>= 1) m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, off));
    float se = 0.0f, zsum = 0.0f, bad = 0.0f;
    for (int64_t k = lane; k < K; k += 32) {
      const float v = zi[k];
      se += fbd_expf(v - m);
      zsum += v;
      bad += ce_not_finite(v);
    }
    for (int off = 16; off > 0; off >>= 1) {
      se += __shfl_down_sync(0xffffffffu, se, off);
      zsum += __shfl_down_sync(0xffffffffu, zsum, off);
      bad += __shfl_down_sync(0xffffffffu, bad, off);
    }
    if (lane == 0) {
      const float yv = y[i];
      const bool valid = ce_label_valid(yv, K);
      const float zy = valid ? zi[int64_t(yv)] : NAN;
      const float lse = m + fbd_logf(se);
      stats[i] = lse;
      stats[N + i] = ce_row_loss(lse, zy, zsum, K, g.smoothing);
      stats[2 * N + i] = bad + (valid ? 0.0f : 1.0f);
    }
  }
}

__global__ void __launch_bounds__(kBlock)
    ce_mean_kernel(int64_t N, float* __restrict__ stats, float* __restrict__ value) {
  __shared__ double loss[kBlock], bad[kBlock];
  double l = 0.0, b = 0.0;
  for (int64_t i = threadIdx.x; i < N; i += kBlock) {
    l += double(stats[N + i]);
    b += double(stats[2 * N + i]);
  }
  loss[threadIdx.x] = l;
  bad[threadIdx.x] = b;
  __syncthreads();
  for (int half = kBlock / 2; half > 0; half >>= 1) {
    if (threadIdx.x < half) {
      loss[threadIdx.x] += loss[threadIdx.x + half];
      bad[threadIdx.x] += bad[threadIdx.x + half];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
    stats[3 * N] = float(bad[0]);
    *value = float(loss[0] / double(N));
  }
}

__global__ void ce_backward_kernel(const float* __restrict__ z, const float* __restrict__ y, CrossEntropyGeom g,
                                   const float* __restrict__ stats, const float* __restrict__ grad_out,
                                   float* __restrict__ dz) {
  const int64_t n = g.N * g.K;
  const float scale = float(double(*grad_out) / double(g.N));
  for (int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; j < n; j += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = j / g.K, k = j % g.K;
    const float yv = y[i];
    const int64_t yi = ce_label_valid(yv, g.K) ? int64_t(yv) : -1;
    dz[j] = ce_grad(z[j], stats[i], ce_target(k, yi, g.K, g.smoothing), scale);
  }
}

}  // namespace

void cross_entropy_forward_cuda(const float* z, const float* y, const CrossEntropyGeom& g, float* stats, float* value,
                                Stream s) {
  if (g.N == 0) return;
  ce_rows_kernel<<<grid_for(g.N * 32), kBlock, 0, s>>>(z, y, g, stats);
  ce_mean_kernel<<<1, kBlock, 0, s>>>(g.N, stats, value);
}

void cross_entropy_backward_cuda(const float* z, const float* y, const CrossEntropyGeom& g, const float* stats,
                                 const float* grad_out, float* dz, Stream s) {
  const int64_t n = g.N * g.K;
  if (n == 0) return;
  ce_backward_kernel<<<grid_for(n), kBlock, 0, s>>>(z, y, g, stats, grad_out, dz);
}

}  // namespace fbd::kernels
