// Cross-entropy of a classifier (PyTorch's nn.CrossEntropyLoss, mean over the batch, optional
// label smoothing s): logits z [N, K], integer labels y [N] (stored as float, values 0..K-1).
// With lse_i = log sum_k exp z_ik, p_ik = exp(z_ik - lse_i) and the target distribution
// q_ik = (1 - s) [k == y_i] + s / K,
//   l_i = -sum_k q_ik log p_ik = (1 - s)(lse_i - z_iy) + s (lse_i - mean_k z_ik)
//   L = (1/N) sum_i l_i,   dL/dz_ik = (p_ik - q_ik) / N
// lse is computed as m + log sum exp(z - m) with m = max_k z (no overflow); both terms of l_i are
// >= 0, so nothing cancels. The derivation and the numbers: docs/kernels/cross_entropy.md.
//
// Read in this order:
//   1. kernels/cross_entropy_kernels.h (this file): the entry points, CPU and CUDA
//   2. kernels/cross_entropy.cuh: the per-row and per-element math both backends share
//   3. kernels/cross_entropy_cpu.cpp: the CPU twin
//   4. kernels/cross_entropy.cu: the CUDA kernels and how they split the work
//   5. losses/cross_entropy.cpp: the op that calls them
//   6. docs/kernels/cross_entropy.md: the derivation, the decomposition and the measured numbers
#pragma once
#include <cstdint>

#include "kernels/common.h"

namespace fbd::kernels {

struct CrossEntropyGeom {
  int64_t N = 0, K = 0;
  float smoothing = 0.0f;  // s in [0, 1]
};

// The forward's per-row results, ce_stats_count(N) floats: [0, N) lse_i (kept for the
// backward), [N, 2N) l_i, [2N, 3N) the bad inputs of row i (non-finite logits, plus 1 for a
// label that is not an integer in [0, K)), then [3N] the bad inputs of the whole batch.
inline constexpr int64_t ce_stats_count(int64_t N) { return 3 * N + 1; }

// Forward: stats as above and value = L (one float).
void cross_entropy_forward_cpu(const float* z, const float* y, const CrossEntropyGeom& g, float* stats, float* value);
void cross_entropy_forward_cuda(const float* z, const float* y, const CrossEntropyGeom& g, float* stats, float* value,
                                Stream s);
// Backward: dz = grad_out * (p - q) / N from the forward's lse (grad_out: one float, on the
// device of the call).
void cross_entropy_backward_cpu(const float* z, const float* y, const CrossEntropyGeom& g, const float* stats,
                                const float* grad_out, float* dz);
void cross_entropy_backward_cuda(const float* z, const float* y, const CrossEntropyGeom& g, const float* stats,
                                 const float* grad_out, float* dz, Stream s);

}  // namespace fbd::kernels
