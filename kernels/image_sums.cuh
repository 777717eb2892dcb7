// CUDA scaffolding shared by the loss kernels (CUDA only): how a batch of images is cut into
// blocks, a block-wide sum of K values, and the "last block finishes the reduction" pattern.
//
// Decomposition: image n of HW pixels is cut into B chunks of `chunk` pixels (a multiple of 4,
// so a chunk starts on a float4 boundary whenever HW % 4 == 0); block id = n * B + b handles
// chunk b of image n. Every block of a launch therefore belongs to exactly one image, and a
// per-image coefficient is read once per block. B is chosen so the whole batch is about two
// waves of resident blocks with at least 2048 pixels (8 per thread) per block: enough blocks to
// keep the memory system busy, few enough partials for the last block to add up quickly.
//
// Deterministic sums, no float atomics: each block writes its K partial sums to
// partial[block][K]; the block that finishes last (found with one integer atomicAdd on a
// blocks-done counter) adds the partials of every image in block order, in double. The order
// of the additions depends on the shape and the SM count only, so a result repeats bit for bit
// on the same GPU; and the finishing work happens in the same launch instead of a second
// kernel (one launch gap saved per loss).
//
// The counter lives in the launch's workspace, in front of the partials, and the launch
// function zeroes it on the stream (a 4-byte cudaMemsetAsync, clear_counter) before each
// launch. A counter in a __device__ global would be shared by every launch of the kernel:
// two launches in flight on two streams would count each other's blocks, and a launch that
// stopped before its last block (an aborted kernel) would leave it non-zero, so every later
// reduction would finish early or never.
#pragma once
#include <algorithm>

#include "kernels/launch.cuh"

namespace fbd::kernels {

// ---- the workspace of a last-block reduction ---------------------------------------------
// [blocks-done counter, padded to 256 bytes][partial sums: blocks x K floats]. The padding
// keeps the partials as aligned as the workspace itself.
inline constexpr size_t kCounterBytes = 256;

inline size_t image_sums_workspace_bytes(int64_t blocks, int K) {
  return kCounterBytes + size_t(blocks) * size_t(K) * sizeof(float);
}

struct ImageSumsWorkspace {
  unsigned int* counter;
  float* partial;
};

inline ImageSumsWorkspace image_sums_workspace(void* workspace) {
  char* w = static_cast<char*>(workspace);
  return {reinterpret_cast<unsigned int*>(w), reinterpret_cast<float*>(w + kCounterBytes)};
}

// Zeroes the counter on stream s, ordered before the launch that counts on it.
inline LaunchStatus clear_counter(unsigned int* counter, Stream s) {
  return status_of(cudaMemsetAsync(counter, 0, sizeof(unsigned int), s), "cudaMemsetAsync of the blocks-done counter");
}

struct ImagePlan {
  int64_t blocks_per_image;
  int64_t chunk;  // pixels per block, a multiple of 4
};

inline ImagePlan image_plan(int64_t N, int64_t HW) {
  const int64_t target_blocks = int64_t(sm_count()) * (2048 / kBlock) * 2;
  int64_t B = std::max<int64_t>(1, (target_blocks + N - 1) / std::max<int64_t>(N, 1));
  B = std::min(B, std::max<int64_t>(1, (HW + 8 * kBlock - 1) / (8 * kBlock)));
  int64_t chunk = (HW + B - 1) / B;
  chunk = std::max<int64_t>(4, (chunk + 3) / 4 * 4);
  B = std::max<int64_t>(1, (HW + chunk - 1) / chunk);
  return {B, chunk};
}

// Sums v[0..K) over the block (blockDim.x must be kBlock); the totals are valid in thread 0.
// Warp shuffles first, then the 8 warp sums through shared memory, in a fixed order.
template <int K>
__device__ void block_sum(float (&v)[K]) {
  __shared__ float warp_sums[kBlock / 32][K];
#pragma unroll
  for (int k = 0; k < K; ++k)
    for (int off = 16; off > 0; off >>= 1) v[k] += __shfl_down_sync(0xffffffffu, v[k], off);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) {
#pragma unroll
    for (int k = 0; k < K; ++k) warp_sums[warp][k] = v[k];
  }
  __syncthreads();
  if (threadIdx.x == 0) {
#pragma unroll
    for (int k = 0; k < K; ++k) {
      float s = 0.0f;
      for (int w = 0; w < kBlock / 32; ++w) s += warp_sums[w][k];
      v[k] = s;
    }
  }
  __syncthreads();  // warp_sums may be reused by the next call
}

// Thread 0 has written this block's partial sums; returns true in every thread of the block
// that is the last of `total` blocks to get here. The writer's fence makes its partials
// visible device-wide before it is counted; the last block fences again before reading them
// (and reads them with __ldcg, from L2, never from a stale L1 line). The counter must be 0
// when the launch starts (clear_counter); it is left at `total`.
__device__ inline bool last_block(unsigned int* counter, unsigned int total) {
  __shared__ bool is_last;
  if (threadIdx.x == 0) {
    __threadfence();
    const unsigned int done = atomicAdd(counter, 1u);
    is_last = done == total - 1;
  }
  __syncthreads();
  if (is_last) __threadfence();
  return is_last;
}

// Per-image totals from the partials: sums[n][k] = sum over b of partial[n * B + b][k], in
// double, b in order; then sums[N][k] = sum over n of sums[n][k] (k < K, rows of K floats).
// Called by the last block. Each thread keeps eight loads in flight (the additions stay in b
// order): the partials sit in L2, and a chain of dependent L2 loads per thread would make this
// tail as long as the whole pass over the pixels.
__device__ inline void finish_image_sums(const float* partial, float* sums, int64_t N, int64_t B, int K) {
  for (int64_t nk = threadIdx.x; nk < N * K; nk += blockDim.x) {
    const int64_t n = nk / K, k = nk % K;
    const float* col = partial + n * B * K + k;
    double s = 0.0;
    int64_t b = 0;
    for (; b + 8 <= B; b += 8) {
      float v[8];
#pragma unroll
      for (int u = 0; u < 8; ++u) v[u] = __ldcg(col + (b + u) * K);
#pragma unroll
      for (int u = 0; u < 8; ++u) s += double(v[u]);
    }
    for (; b < B; ++b) s += double(__ldcg(col + b * K));
    sums[nk] = float(s);
  }
  __syncthreads();
  for (int k = threadIdx.x; k < K; k += blockDim.x) {
    double s = 0.0;
    int64_t n = 0;
    for (; n + 8 <= N; n += 8) {
      float v[8];
#pragma unroll
      for (int u = 0; u < 8; ++u) v[u] = __ldcg(sums + (n + u) * K + k);
#pragma unroll
      for (int u = 0; u < 8; ++u) s += double(v[u]);
    }
    for (; n < N; ++n) s += double(__ldcg(sums + n * K + k));
    sums[N * K + k] = float(s);
  }
  __syncthreads();
}

// sum over n < N of term(n), the images spread over the block's threads; valid in thread 0.
// The last block uses it for the per-image part of a loss value, so no single thread walks
// the images one L2 load after another.
template <typename Term>
__device__ float block_sum_over_images(int64_t N, Term&& term) {
  float v[1] = {0.0f};
  for (int64_t n = threadIdx.x; n < N; n += blockDim.x) v[0] += term(n);
  block_sum<1>(v);
  return v[0];
}

}  // namespace fbd::kernels
