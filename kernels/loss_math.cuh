// Per-pixel math shared by every loss family (binary_loss, structure_loss, shape_loss, softmax_loss), written
// once for the CUDA kernels and the CPU twins.
//
// Every loss takes logits z, never probabilities, so that each log-term is computed without
// cancellation (docs/LOSSES.md):
//   p = sigmoid(z),  q = 1 - p = sigmoid(-z),
//   log p = -softplus(-z),  log(1 - p) = -softplus(z),  softplus(x) = max(x, 0) + log(1 + e^-|x|).
// One exp gives all four: with e = exp(-|z|) in (0, 1],
//   sigmoid(|z|) = 1 / (1 + e),  sigmoid(-|z|) = e / (1 + e),  log(1 + e^-|z|) = log1p(e).
// At |z| = 50 that is e = 2e-22: p, q, both softpluses and p*q are finite, and nothing is 0/0.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/common.h"
#include "kernels/fast_math.cuh"

namespace fbd::kernels {

// log(1 + e) for e in [0, 1], accurate also where 1 + e rounds to 1. With u = fl(1 + e) the
// rounding error c = e - (u - 1) is exact (u - 1 is exact for u in [1, 2]), and
// log(1 + e) = log(u) + log(1 + c/u) = log(u) + c/u to float precision. No branch, no select:
// where u == 1, log(u) = 0 and the result is c = e.
FBD_HD float log1p_unit(float e) {
  const float u = 1.0f + e;
  const float c = e - (u - 1.0f);
  return fbd_logf(u) + c / u;
}

// sqrt for x >= FLT_MIN (smaller x count as FLT_MIN), vectorisable on the host: GCC keeps
// sqrtf a scalar call unless -fno-math-errno, so the host version is the classic bit-level
// reciprocal square root estimate (magic constant) refined by three Newton steps
// (relative error 3.4e-2 -> 1.7e-3 -> 4.5e-6 -> float rounding), then x * y corrected by one
// Heron step: within 1 ulp of the correctly rounded sqrt (tests/losses/test_loss_math.cpp).
// On the device: sqrtf, correctly rounded.
FBD_HD float fbd_sqrtf_pos(float x) {
#if defined(__CUDA_ARCH__)
  return sqrtf(x > 1.17549435e-38f ? x : 1.17549435e-38f);
#else
  const float xs = x > 1.17549435e-38f ? x : 1.17549435e-38f;
  uint32_t bits;
  std::memcpy(&bits, &xs, 4);
  bits = 0x5f375a86u - (bits >> 1);
  float y;
  std::memcpy(&y, &bits, 4);
  const float h = 0.5f * xs;
  y = y * (1.5f - h * y * y);
  y = y * (1.5f - h * y * y);
  y = y * (1.5f - h * y * y);
  const float s = xs * y;
  return s + (0.5f * y) * (xs - s * s);
#endif
}

// sigmoid and softplus of one logit from a single exp.
struct Logistic {
  float p;       // sigmoid(z)
  float q;       // 1 - sigmoid(z) = sigmoid(-z), without cancellation
  float sp_pos;  // softplus(z)  = -log(1 - p)
  float sp_neg;  // softplus(-z) = -log(p)
};

FBD_HD Logistic logistic(float z) {
  const float e = fbd_expf(-fabsf(z));
  const float big = 1.0f / (1.0f + e);  // sigmoid(|z|)
  const float small = e * big;          // sigmoid(-|z|)
  const float l = log1p_unit(e);
  const bool pos = z >= 0.0f;
  Logistic r;
  r.p = pos ? big : small;
  r.q = pos ? small : big;
  // max(z, 0) as a select: fmaxf is a libm call on the host (NaN rules) and stops GCC
  // vectorising the loop; max(-z, 0) = max(z, 0) - z exactly.
  const float zpos = z > 0.0f ? z : 0.0f;
  r.sp_pos = zpos + l;
  r.sp_neg = (zpos - z) + l;
  return r;
}

// sigmoid alone (no log): what Dice, the boundary term and the compactness need.
FBD_HD void sigmoid_pq(float z, float& p, float& q) {
  const float e = fbd_expf(-fabsf(z));
  const float big = 1.0f / (1.0f + e);
  const float small = e * big;
  const bool pos = z >= 0.0f;
  p = pos ? big : small;
  q = pos ? small : big;
}

// m^gamma for m in [0, 1] and gamma >= 0, as exp(gamma log m) so the CPU loop vectorises
// (powf is an opaque libm call). m is raised to FLT_MIN first so that gamma = 0 gives
// exp(0) = 1 also at m = 0 (no 0 * inf); where m < FLT_MIN the result is FLT_MIN^gamma
// instead of m^gamma, an absolute difference below 1e-19 for gamma >= 0.5 (and exact 0 for
// gamma >= 2.1). Relative error about gamma |log m| 2^-23 elsewhere: 6e-6 at m = 1e-22, far
// below anything that matters where m^gamma is that small. (No `gamma == 0 ? 1 : ...` select
// either: GCC unswitches the loop on it and then fails to vectorise the constant version.)
FBD_HD float pow_unit(float m, float gamma) {
  const float mc = m > 1.17549435e-38f ? m : 1.17549435e-38f;
  return fbd_expf(gamma * fbd_logf(mc));
}

// True (as 1.0f) when x is NaN or +-inf, as a float so it can be summed with the loss terms:
// the count of bad inputs travels in the same reduction as the loss, at no extra pass.
FBD_HD float not_finite(float x) { return fabsf(x) <= 3.402823466e38f ? 0.0f : 1.0f; }
// 1.0f unless x is exactly 0 or 1 (NaN included).
FBD_HD float not_binary(float x) { return (x == 0.0f || x == 1.0f) ? 0.0f : 1.0f; }

// ---- binary focal loss of one pixel (torchvision's sigmoid_focal_loss) ----
//   p_t = p g + (1-p)(1-g),  ce = BCEWithLogits(z, g),  a_t = a g + (1-a)(1-g)  (a < 0: a_t = 1)
//   f = a_t (1 - p_t)^gamma ce
// For g in {0, 1}, with s = 2g - 1 and x = s z: p_t = sigmoid(x), m = 1 - p_t = sigmoid(-x),
// ce = softplus(-x), and
//   df/dx = -a_t m^gamma (gamma p_t ce + m)      (d m/dx = -p_t m,  d ce/dx = -m)
//   df/dz = s df/dx.
// No negative power of m appears, so gamma in (0, 1) is as safe as gamma = 2.
struct FocalPixel {
  float value;
  float dz;
};

FBD_HD FocalPixel focal_pixel(const Logistic& l, float g, float gamma, float alpha) {
  const bool fg = g > 0.5f;
  const float pt = fg ? l.p : l.q;
  const float m = fg ? l.q : l.p;
  const float ce = fg ? l.sp_neg : l.sp_pos;
  const float at = alpha < 0.0f ? 1.0f : (fg ? alpha : 1.0f - alpha);
  const float w = at * pow_unit(m, gamma);
  const float dx = -w * (gamma * pt * ce + m);
  return {w * ce, fg ? dx : -dx};
}

// BCEWithLogits(z, g) = (1 - g) softplus(z) + g softplus(-z), exact for any g in [0, 1];
// its gradient is p - g.
FBD_HD float bce_pixel(const Logistic& l, float g) { return (1.0f - g) * l.sp_pos + g * l.sp_neg; }

}  // namespace fbd::kernels
