// Sum over the middle axis of [outer, R, inner]:  out[o, i] = scale * sum_r in[o, r, i].
// Gradient (done in core/ by broadcasting): d out[o,i] / d in[o,r,i] = scale.
//
// Two shapes of work, two kernels:
//  * inner == 1 (rows: a whole-tensor sum, a per-image sum over H*W): blocks of 256 threads
//    reduce a contiguous chunk of a row; each thread sums with a stride of 256 (coalesced),
//    then the block reduces through warp shuffles and shared memory.
//  * inner > 1 (columns: the per-channel sum of [N, C, H*W] -> C after the H*W pass): one
//    thread per output column loops over r; neighbouring threads read neighbouring addresses.
// When there are too few outputs to fill the GPU, R is split over `splits` blocks that write
// partial sums to the workspace, and a second launch of the same kernel adds them up. No
// atomics: the split points depend only on the shape and the SM count, so results are
// deterministic run to run.
// Bound: memory bandwidth, 4 bytes read per input element; the adds are free.
#include "kernels/launch.cuh"
#include "kernels/reduce_kernels.h"

namespace fbd::kernels {
namespace {

constexpr int kRowBlock = 256;

__device__ float block_sum(float v) {
  __shared__ float warp_sums[kRowBlock / 32];
  for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  v = threadIdx.x < kRowBlock / 32 ? warp_sums[threadIdx.x] : 0.0f;
  if (warp == 0) {
    for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  }
  return v;  // valid in thread 0
}

// grid = (splits, min(outer, 65535)). Block (s, y) sums in[o, s*chunk : (s+1)*chunk) for
// o = y, y + gridDim.y, ... (the y loop only matters past 65535 rows).
__global__ void reduce_rows_kernel(const float* __restrict__ in, float* __restrict__ out, int64_t outer, int64_t R,
                                   int64_t chunk, float scale) {
  const int64_t s = blockIdx.x;
  const int64_t begin = s * chunk, end = min(R, begin + chunk);
  for (int64_t o = blockIdx.y; o < outer; o += gridDim.y) {
    const float* row = in + o * R;
    float v = 0.0f;
    for (int64_t r = begin + threadIdx.x; r < end; r += kRowBlock) v += row[r];
    v = block_sum(v);
    if (threadIdx.x == 0) out[o * gridDim.x + s] = v * scale;
    __syncthreads();  // warp_sums is reused by the next row
  }
}

// grid-stride over outer*inner columns; grid.y = splits. Column (o, i) of split s sums
// in[o, s*chunk : (s+1)*chunk, i] into out[(o*splits + s)*inner + i].
__global__ void reduce_cols_kernel(const float* __restrict__ in, float* __restrict__ out, int64_t outer, int64_t R,
                                   int64_t inner, int64_t chunk, float scale) {
  const int64_t s = blockIdx.y, splits = gridDim.y;
  const int64_t begin = s * chunk, end = min(R, begin + chunk);
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; c < outer * inner; c += stride) {
    const int64_t o = c / inner, i = c % inner;
    const float* col = in + o * R * inner + i;
    float v = 0.0f;
    for (int64_t r = begin; r < end; ++r) v += col[r * inner];
    out[(o * splits + s) * inner + i] = v * scale;
  }
}

struct Plan {
  int64_t splits;
  int64_t chunk;
};

// Enough blocks (rows) or threads (columns) to fill every SM a few times over.
Plan plan_for(int64_t outer, int64_t R, int64_t inner) {
  const int64_t target_threads = int64_t(sm_count()) * 2048 * 2;
  int64_t splits = 1;
  if (inner == 1) {
    const int64_t target_blocks = target_threads / kRowBlock;
    if (outer < target_blocks)
      splits = std::min<int64_t>((R + 4 * kRowBlock - 1) / (4 * kRowBlock), target_blocks / outer);
  } else {
    const int64_t cols = outer * inner;
    if (cols < target_threads) splits = std::min<int64_t>((R + 63) / 64, target_threads / cols);
  }
  splits = std::clamp<int64_t>(splits, 1, 1024);
  return {splits, (R + splits - 1) / splits};
}

void launch(const float* in, float* out, int64_t outer, int64_t R, int64_t inner, const Plan& p, float scale,
            Stream s) {
  if (inner == 1) {
    const unsigned rows = unsigned(std::min<int64_t>(outer, 65535));
    reduce_rows_kernel<<<dim3(unsigned(p.splits), rows), kRowBlock, 0, s>>>(in, out, outer, R, p.chunk, scale);
  } else {
    reduce_cols_kernel<<<dim3(unsigned(grid_for(outer * inner)), unsigned(p.splits)), kBlock, 0, s>>>(
        in, out, outer, R, inner, p.chunk, scale);
  }
}

}  // namespace

size_t reduce_sum_workspace_bytes(int64_t outer, int64_t R, int64_t inner) {
  const Plan p = plan_for(outer, R, inner);
  return p.splits > 1 ? size_t(outer * p.splits * inner) * sizeof(float) : 0;
}

LaunchStatus reduce_sum_cuda(const float* in, float* out, int64_t outer, int64_t R, int64_t inner, float scale,
                             void* workspace, Stream s) {
  if (outer * inner == 0) return {};
  if (R == 0)  // an empty sum: zeros
    return status_of(cudaMemsetAsync(out, 0, size_t(outer * inner) * sizeof(float), s), "cudaMemsetAsync");
  const Plan p = plan_for(outer, R, inner);
  if (p.splits == 1) {
    launch(in, out, outer, R, inner, p, scale, s);
    return {};
  }
  float* partial = static_cast<float*>(workspace);
  launch(in, partial, outer, R, inner, p, 1.0f, s);
  launch(partial, out, outer, p.splits, inner, Plan{1, p.splits}, scale, s);
  return {};
}

}  // namespace fbd::kernels
