// Per-pixel math of the binary segmentation losses (binary_loss_kernels.h), shared by binary_loss.cu and
// binary_loss_cpu.cpp. TERMS is the compile-time set of BinaryTerm bits, so a Dice-only launch
// compiles to Dice arithmetic alone and the fused compound to all three terms in one body.
//
// Notation (one image n of HW pixels, N images): p = sigmoid(z), q = 1 - p, g in {0, 1},
// total = N * HW.
//
//   Dice      L_D = mean_n [1 - (2 I_n + e_n) / D_n],  I_n = sum p g,  D_n = P_n + G_n + e_d,
//             P_n = sum p (or sum p^2), G_n = sum g (or sum g^2).
//             dL_D/dp_i = -(1/N) (a_n g_i - b_n dP_i),  a_n = 2 / D_n,  b_n = (2 I_n + e_n) / D_n^2,
//             dP_i = 1 (or 2 p_i). With `batch` the sums run over the batch and 1/N goes.
//   Focal     L_F = (1/total) sum_i f_i,   f_i and df_i/dz_i: focal_pixel (loss_math.cuh).
//   BCE       L_B = (1/total) sum_i bce_i, dbce_i/dz_i = p_i - g_i.
//   Boundary  L_BD = (1/total) sum_i phi_i p_i,  dL_BD/dp_i = phi_i / total.
//   and dp/dz = p q for the terms that go through p.
#pragma once
#include "kernels/binary_loss_kernels.h"
#include "kernels/loss_math.cuh"

namespace fbd::kernels {

// Whether a term set reads the target (the boundary term alone reads only logits and phi).
constexpr bool binary_reads_target(uint32_t terms) { return (terms & (kBinaryDice | kBinaryFocal | kBinaryBce)) != 0; }

// The per-pixel contributions to the forward sums, indexed by BinaryStat; inactive terms give
// 0 and are never stored by the callers.
struct BinaryPixelStats {
  float v[kBinaryStats];
  FBD_HD float& operator[](int stat) { return v[stat]; }
  FBD_HD float operator[](int stat) const { return v[stat]; }
};

template <uint32_t TERMS>
FBD_HD BinaryPixelStats binary_pixel_forward(float z, float g, float phi, const BinaryLossParams& prm) {
  static_assert((TERMS & ~kBinaryAllTerms) == 0, "unknown binary loss term");
  constexpr bool kLog = (TERMS & (kBinaryFocal | kBinaryBce)) != 0;
  float p, q;
  Logistic l{};
  if constexpr (kLog) {
    l = logistic(z);
    p = l.p;
    q = l.q;
  } else {
    sigmoid_pq(z, p, q);
  }
  (void)q;
  BinaryPixelStats s{};
  if constexpr ((TERMS & kBinaryDice) != 0) {
    s[kStatInter] = p * g;
    s[kStatPred] = prm.squared ? p * p : p;
    s[kStatTarget] = prm.squared ? g * g : g;
  }
  if constexpr ((TERMS & kBinaryFocal) != 0) s[kStatFocal] = focal_pixel(l, g, prm.gamma, prm.alpha).value;
  if constexpr ((TERMS & kBinaryBce) != 0) s[kStatBce] = bce_pixel(l, g);
  if constexpr ((TERMS & kBinaryBoundary) != 0) s[kStatBoundary] = phi * p;
  s[kStatBad] = not_finite(z);
  if constexpr (binary_reads_target(TERMS)) s[kStatBad] += not_binary(g);
  if constexpr ((TERMS & kBinaryBoundary) != 0) s[kStatBad] += not_finite(phi);
  return s;
}

// Calls f(stat, value) for every sum the term set reduces (kBinaryStatTerm), unrolled at
// compile time so that `stat` is a constant in every call.
template <uint32_t TERMS, int K = 0, typename F>
FBD_HD void for_active_stats(const BinaryPixelStats& s, F&& f) {
  if constexpr (K < kBinaryStats) {
    if constexpr (binary_stat_active(TERMS, K)) f(K, s[K]);
    for_active_stats<TERMS, K + 1>(s, f);
  }
}

FBD_HD float dice_ratio(const float* row, const BinaryLossParams& prm) {
  return (2.0f * row[kStatInter] + prm.eps_num) / (row[kStatPred] + row[kStatTarget] + prm.eps_den);
}

// The loss value from the sums (rows 0..N-1 per image, row N the batch), in two parts: the
// per-image part (the mean of per-image Dice losses), which the CUDA kernel spreads over the
// threads of its last block, and the part read from the batch row.
FBD_HD float binary_image_term(const float* sums, int64_t n, int64_t N, const BinaryLossParams& prm) {
  if ((prm.terms & kBinaryDice) == 0 || prm.batch) return 0.0f;
  return prm.w_dice * (1.0f - dice_ratio(sums + n * kBinaryStats, prm)) / float(N);
}

FBD_HD float binary_batch_term(const float* sums, int64_t N, int64_t HW, const BinaryLossParams& prm) {
  const float* batch = sums + N * kBinaryStats;
  const double total = double(N) * double(HW);
  double v = 0.0;
  if ((prm.terms & kBinaryDice) != 0 && prm.batch) v += double(prm.w_dice) * (1.0 - double(dice_ratio(batch, prm)));
  if ((prm.terms & kBinaryFocal) != 0) v += double(prm.w_focal) * double(batch[kStatFocal]) / total;
  if ((prm.terms & kBinaryBce) != 0) v += double(prm.w_bce) * double(batch[kStatBce]) / total;
  if ((prm.terms & kBinaryBoundary) != 0) v += double(prm.w_bd) * double(batch[kStatBoundary]) / total;
  return float(v);
}

// The whole value, one thread (the CPU twin).
inline float binary_loss_value(const float* sums, int64_t N, int64_t HW, const BinaryLossParams& prm) {
  double v = 0.0;
  for (int64_t n = 0; n < N; ++n) v += double(binary_image_term(sums, n, N, prm));
  return float(v + double(binary_batch_term(sums, N, HW, prm)));
}

// Everything the gradient of one image needs besides the pixel itself: the weights folded
// with the means, and the Dice coefficients a_n, b_n. Computed once per image (per block).
struct BinaryCoef {
  float dice_a, dice_b;  // -(w_dice/N) a_n and (w_dice/N) b_n: dL/dp += dice_a g + dice_b dP
  float focal, bce, bd;  // w / total
};

FBD_HD BinaryCoef binary_coef(const float* sums, int64_t n, int64_t N, int64_t HW, const BinaryLossParams& prm) {
  BinaryCoef c{0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  const float inv_total = float(1.0 / (double(N) * double(HW)));
  if ((prm.terms & kBinaryDice) != 0) {
    const float* row = sums + (prm.batch ? N : n) * kBinaryStats;
    const float D = row[kStatPred] + row[kStatTarget] + prm.eps_den;
    const float scale = prm.batch ? prm.w_dice : prm.w_dice / float(N);
    c.dice_a = -scale * (2.0f / D);
    c.dice_b = scale * ((2.0f * row[kStatInter] + prm.eps_num) / D) / D;
  }
  c.focal = (prm.terms & kBinaryFocal) != 0 ? prm.w_focal * inv_total : 0.0f;
  c.bce = (prm.terms & kBinaryBce) != 0 ? prm.w_bce * inv_total : 0.0f;
  c.bd = (prm.terms & kBinaryBoundary) != 0 ? prm.w_bd * inv_total : 0.0f;
  return c;
}

// dL/dz of one pixel (before the upstream gradient).
template <uint32_t TERMS>
FBD_HD float binary_pixel_grad(float z, float g, float phi, const BinaryLossParams& prm, const BinaryCoef& c) {
  constexpr bool kLog = (TERMS & kBinaryFocal) != 0;  // BCE's gradient needs p only
  float p, q;
  Logistic l{};
  if constexpr (kLog) {
    l = logistic(z);
    p = l.p;
    q = l.q;
  } else {
    sigmoid_pq(z, p, q);
  }
  float dp = 0.0f;  // dL/dp of the terms that go through p
  if constexpr ((TERMS & kBinaryDice) != 0) dp += c.dice_a * g + c.dice_b * (prm.squared ? 2.0f * p : 1.0f);
  if constexpr ((TERMS & kBinaryBoundary) != 0) dp += c.bd * phi;
  float dz = dp * (p * q);
  if constexpr ((TERMS & kBinaryFocal) != 0) dz += c.focal * focal_pixel(l, g, prm.gamma, prm.alpha).dz;
  if constexpr ((TERMS & kBinaryBce) != 0) dz += c.bce * (p - g);
  return dz;
}

// The term sets compiled as their own instance: one per loss fbd offers (each single term and
// the compound of Eq. 2); any other combination runs the all-terms instance, whose inactive
// terms have weight 0.
#define FBD_BINARY_TERM_SETS(X) FBD_BINARY_TERMS(X) X(kBinaryFbd) X(kBinaryAllTerms)

// Calls f.template operator()<TERMS>() with the compile-time instance for a runtime term set.
template <typename F>
void dispatch_binary_terms(uint32_t terms, F&& f) {
#define FBD_BINARY_CASE(t) \
  case t: f.template operator()<t>(); return;
  switch (terms) { FBD_BINARY_TERM_SETS(FBD_BINARY_CASE) default : break; }
#undef FBD_BINARY_CASE
  f.template operator()<kBinaryAllTerms>();
}

}  // namespace fbd::kernels
