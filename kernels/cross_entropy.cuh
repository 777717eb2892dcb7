// Per-row and per-element math of the cross-entropy (cross_entropy_kernels.h), shared by
// cross_entropy.cu and cross_entropy_cpu.cpp.
//
// A row's pass gathers m = max_k z_k, then se = sum_k exp(z_k - m), zsum = sum_k z_k and z_y;
// lse = m + log se; l = (1 - s)(lse - z_y) + s (lse - zsum / K). Each term is a log-sum-exp
// minus one of its own arguments (or their mean), so it is >= 0 up to rounding and there is no
// log of a probability that underflowed: a sample whose p_y rounds to 0 still gets its exact
// loss lse - z_y. Gradient: dz_k = (p_k - q_k) grad / N with p_k = exp(z_k - lse), a
// difference of two numbers in [0, 1].
#pragma once
#include <cmath>

#include "kernels/common.h"
#include "kernels/cross_entropy_kernels.h"
#include "kernels/fast_math.cuh"

namespace fbd::kernels {

// A label is valid when it is an integer in [0, K) (a NaN label is not).
FBD_HD bool ce_label_valid(float y, int64_t K) { return y >= 0.0f && y < float(K) && y == floorf(y); }

// l = (1 - s)(lse - z_y) + s (lse - zsum / K). An invalid label reads no logit: z_y = NaN, so the
// loss shows it (the op reports the label first).
FBD_HD float ce_row_loss(float lse, float zy, float zsum, int64_t K, float s) {
  const float nll = lse - zy;
  return s == 0.0f ? nll : (1.0f - s) * nll + s * (lse - zsum / float(K));
}

// q_k = (1 - s) [k == y] + s / K   (y < 0 for an invalid label: no one-hot term).
FBD_HD float ce_target(int64_t k, int64_t y, int64_t K, float s) { return (k == y ? 1.0f - s : 0.0f) + s / float(K); }

// dz_k = scale (exp(z_k - lse) - q_k), scale = grad / N.
FBD_HD float ce_grad(float z, float lse, float q, float scale) { return scale * (fbd_expf(z - lse) - q); }

FBD_HD float ce_not_finite(float x) { return fabsf(x) <= 3.402823466e38f ? 0.0f : 1.0f; }

}  // namespace fbd::kernels
