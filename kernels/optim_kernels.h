// Optimizer steps over all parameters at once (multi-tensor): the parameters, gradients and
// state buffers of every tensor are described by a table of ParamSlots, cut into chunks of
// kOptimChunk elements, and one launch (one OpenMP loop on the CPU) updates every chunk.
//
//   SGD (PyTorch's torch.optim.SGD):   d = g + wd p
//       momentum: b = first ? d : mu b + (1 - dampening) d;  d = nesterov ? d + mu b : b
//       p = p - lr d
//   Adam / AdamW (torch.optim.Adam / AdamW), step t of this parameter:
//       Adam: g = g + wd p          AdamW: p = p (1 - lr wd)
//       m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2
//       p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// The per-parameter bias corrections are computed on the host in double and passed per slot.
//
// Read in this order:
//   1. kernels/optim_kernels.h (this file): the entry points, CPU and CUDA
//   2. kernels/optim.cuh: the per-element math both backends share
//   3. kernels/optim_cpu.cpp: the CPU twin
//   4. kernels/optim.cu: the CUDA kernels and how they split the work
//   5. optim/fused.cpp: the op that calls them
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/common.h"

namespace fbd::kernels {

struct ParamSlot {
  float* param = nullptr;
  const float* grad = nullptr;
  float* buf0 = nullptr;  // SGD: momentum buffer; Adam: exp_avg (m)
  float* buf1 = nullptr;  // Adam: exp_avg_sq (v)
  int64_t n = 0;
  float step_size = 0;  // Adam: lr / (1 - b1^t)
  float bc2_sqrt = 1;   // Adam: sqrt(1 - b2^t)
  int32_t first = 0;    // SGD: the momentum buffer starts as d
};

struct SgdHyper {
  float lr = 0, momentum = 0, dampening = 0, weight_decay = 0;
  int32_t nesterov = 0;
};

struct AdamHyper {
  float lr = 0, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0;
  int32_t decoupled = 0;  // AdamW
};

// Elements [begin, min(begin + kOptimChunk, n)) of slot `slot`.
struct SlotChunk {
  int64_t begin = 0;
  int32_t slot = 0;
};
inline constexpr int64_t kOptimChunk = 4096;

int64_t optim_chunk_count(const ParamSlot* slots, int64_t count);
void optim_fill_chunks(const ParamSlot* slots, int64_t count, SlotChunk* chunks);

// CPU: slots and chunks in host memory.
void sgd_step_cpu(const ParamSlot* slots, const SlotChunk* chunks, int64_t nchunks, const SgdHyper& h);
void adam_step_cpu(const ParamSlot* slots, const SlotChunk* chunks, int64_t nchunks, const AdamHyper& h);
// CUDA: slots and chunks already copied to device memory (the caller uploads the two tables).
void sgd_step_cuda(const ParamSlot* slots, const SlotChunk* chunks, int64_t nchunks, const SgdHyper& h, Stream s);
void adam_step_cuda(const ParamSlot* slots, const SlotChunk* chunks, int64_t nchunks, const AdamHyper& h, Stream s);

}  // namespace fbd::kernels
