// Fused optimizer steps on CUDA: one launch updates every parameter tensor. Math: optim.cuh.
//
// Threads: the host cuts every tensor into chunks of kOptimChunk (4096) elements and uploads
// the slot table and the chunk list; each block takes chunks in a grid-stride loop and its
// 256 threads sweep the chunk's elements (16 each), so tensors of any size share one launch
// and no thread searches for its tensor.
// Bound: memory. SGD with momentum moves 20 bytes per parameter, Adam 28; at the H100's
// ~3 TB/s a 10 M-parameter Adam step is ~0.1 ms, about the cost of the launch for small nets.
#include "kernels/launch.cuh"
#include "kernels/optim.cuh"

namespace fbd::kernels {
namespace {

__global__ void sgd_kernel(const ParamSlot* __restrict__ slots, const SlotChunk* __restrict__ chunks, int64_t nchunks,
                           SgdHyper h) {
  for (int64_t c = blockIdx.x; c < nchunks; c += gridDim.x) {
    const SlotChunk ch = chunks[c];
    const ParamSlot s = slots[ch.slot];
    int64_t b, e;
    chunk_range(ch, s, b, e);
    for (int64_t i = b + threadIdx.x; i < e; i += blockDim.x) sgd_update(s.param, s.grad, s.buf0, i, h, s.first != 0);
  }
}

__global__ void adam_kernel(const ParamSlot* __restrict__ slots, const SlotChunk* __restrict__ chunks, int64_t nchunks,
                            AdamHyper h) {
  for (int64_t c = blockIdx.x; c < nchunks; c += gridDim.x) {
    const SlotChunk ch = chunks[c];
    const ParamSlot s = slots[ch.slot];
    int64_t b, e;
    chunk_range(ch, s, b, e);
    for (int64_t i = b + threadIdx.x; i < e; i += blockDim.x)
      adam_update(s.param, s.grad, s.buf0, s.buf1, i, h, s.step_size, s.bc2_sqrt);
  }
}

int grid_for_chunks(int64_t nchunks) {
  const int64_t wave = int64_t(sm_count()) * (2048 / kBlock);
  return static_cast<int>(nchunks < wave ? nchunks : wave);
}

}  // namespace

void sgd_step_cuda(const ParamSlot* slots, const SlotChunk* chunks, int64_t nchunks, const SgdHyper& h, Stream s) {
  if (nchunks == 0) return;
  sgd_kernel<<<grid_for_chunks(nchunks), kBlock, 0, s>>>(slots, chunks, nchunks, h);
}

void adam_step_cuda(const ParamSlot* slots, const SlotChunk* chunks, int64_t nchunks, const AdamHyper& h, Stream s) {
  if (nchunks == 0) return;
  adam_kernel<<<grid_for_chunks(nchunks), kBlock, 0, s>>>(slots, chunks, nchunks, h);
}

}  // namespace fbd::kernels
