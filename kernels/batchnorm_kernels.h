// Batch normalisation over [N, C, HW] (per channel c, statistics over the N*HW values):
//   mean_c = sum x / M,  var_c = sum x^2 / M - mean_c^2   (M = N*HW, biased, as used to normalise)
//   y = (x - mean_c) * invstd_c * gamma_c + beta_c,  invstd_c = 1 / sqrt(var_c + eps)
// Backward, with xhat = (x - mean) * invstd:
//   dbeta_c = sum dy,  dgamma_c = sum dy * xhat
//   training: dx = gamma invstd (dy - dbeta/M - xhat dgamma/M)   (mean and var depend on x)
//   eval:     dx = gamma invstd dy                                (running statistics are constants)
// The CPU twin is here; on CUDA fbd calls cuDNN's batch norm (layers/batchnorm.cpp).
//
// Read in this order:
//   1. kernels/batchnorm_kernels.h (this file): the entry points
//   2. kernels/batchnorm.cuh: the per-element math both backends share
//   3. kernels/batchnorm_cpu.cpp: the CPU twin
//   4. layers/batchnorm.cpp: the op that calls them
#pragma once
#include "kernels/common.h"

namespace fbd::kernels {

// Per-channel mean and biased variance. Sums in double, one channel per thread, in a fixed
// order: the result does not depend on the thread count.
void bn_stats_cpu(const float* x, int64_t N, int64_t C, int64_t HW, float* mean, float* var);

// y = (x - mean_c) * scale_c + beta_c with scale = gamma * invstd. (Folding the mean into the
// shift, x * scale + (beta - mean * scale), would save nothing and lose the exact zero of a
// constant channel to cancellation.)
void bn_apply_cpu(const float* x, float* y, int64_t N, int64_t C, int64_t HW, const float* mean, const float* scale,
                  const float* beta);

// dgamma, dbeta (per channel) and, if dx is not null, dx. `training` selects the dx formula.
void bn_backward_cpu(const float* x, const float* dy, int64_t N, int64_t C, int64_t HW, const float* mean,
                     const float* invstd, const float* gamma, bool training, float* dx, float* dgamma, float* dbeta);

}  // namespace fbd::kernels
