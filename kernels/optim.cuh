// Per-element math of the optimizer steps (formulas in optim.h), shared by the CPU twin and
// the CUDA kernel. Written operation by operation in PyTorch's order.
#pragma once
#include <cmath>

#include "kernels/common.h"
#include "kernels/optim_kernels.h"

namespace fbd::kernels {

FBD_HD void sgd_update(float* p, const float* g, float* buf, int64_t i, const SgdHyper& h, bool first) {
  float d = g[i];
  if (h.weight_decay != 0.0f) d = d + h.weight_decay * p[i];
  if (h.momentum != 0.0f) {
    const float b = first ? d : buf[i] * h.momentum + (1.0f - h.dampening) * d;
    buf[i] = b;
    d = h.nesterov ? d + h.momentum * b : b;
  }
  p[i] = p[i] - h.lr * d;
}

FBD_HD void adam_update(float* p, const float* g, float* m, float* v, int64_t i, const AdamHyper& h, float step_size,
                        float bc2_sqrt) {
  float gi = g[i];
  float pi = p[i];
  if (h.weight_decay != 0.0f) {
    if (h.decoupled)
      pi = pi * (1.0f - h.lr * h.weight_decay);
    else
      gi = gi + h.weight_decay * pi;
  }
  const float mi = m[i] * h.beta1 + (1.0f - h.beta1) * gi;
  const float vi = v[i] * h.beta2 + (1.0f - h.beta2) * gi * gi;
  m[i] = mi;
  v[i] = vi;
  const float denom = sqrtf(vi) / bc2_sqrt + h.eps;
  p[i] = pi - step_size * (mi / denom);
}

// The element range of a chunk.
FBD_HD void chunk_range(const SlotChunk& c, const ParamSlot& s, int64_t& begin, int64_t& end) {
  begin = c.begin;
  end = c.begin + kOptimChunk < s.n ? c.begin + kOptimChunk : s.n;
}

}  // namespace fbd::kernels
