// Per-pixel math of the multi-class losses (softmax_loss_kernels.h), shared by softmax_loss.cu and
// softmax_loss_cpu.cpp.
//
// Softmax without overflow: lse = m + log sum_k exp(z_k - m), m = max_k z_k; p_k = exp(z_k - lse),
// log p_y = z_y - lse. 1 - p_y is summed as sum over k != y of p_k, never as 1 - p_y (no
// cancellation when p_y -> 1).
//
// Gradients. With c_k = dL/dp_k of the Dice and boundary terms, the softmax Jacobian gives
//   dL/dz_j = p_j (c_j - sum_k p_k c_k)
//   Dice:     c_k = -(s a_nk) g_k + (s b_nk) dP_k,  a = 2 / D, b = (2 I + e_n) / D^2, dP = 1 or 2 p_k,
//             s = w_dice / (N K')   (K' included classes; `batch`: s = w_dice / K')
//   Boundary: c_k = w_bd phi_k / (N K' HW)
// and the focal term f = -a_y w^gamma l (w = 1 - p_y, l = log p_y), with dl/dz_j = d_jy - p_j and
// dw/dz_j = -p_y (d_jy - p_j):
//   df/dz_j = (d_jy - p_j) F,   F = a_y w^gamma (gamma p_y r - 1),  r = l / w  (r -> -1 as w -> 0)
// times w_focal / (N HW). No negative power of w appears.
#pragma once
#include "kernels/loss_math.cuh"
#include "kernels/softmax_loss_kernels.h"

namespace fbd::kernels {

struct McFocal {
  float value;  // -a w^gamma l
  float F;      // df/dz_j = (d_jy - p_j) F
};

FBD_HD McFocal mc_focal(float t, float w, float l, float gamma, float a) {
  const float wg = pow_unit(w, gamma);
  const float r = w > 0.0f ? l / w : -1.0f;
  return {-a * wg * l, a * wg * (gamma * t * r - 1.0f)};
}

FBD_HD bool class_included(int k, const SoftmaxLossParams& prm) { return prm.include_background || k > 0; }
FBD_HD int included_classes(const SoftmaxLossParams& prm) {
  return prm.include_background ? prm.classes : prm.classes - 1;
}

FBD_HD float softmax_dice_ratio(const float* row, int k, const SoftmaxLossParams& prm) {
  return (2.0f * row[4 * k] + prm.eps_num) / (row[4 * k + 1] + row[4 * k + 2] + prm.eps_den);
}

// The value in two parts, as binary_loss.cuh: the per-image Dice mean, and the batch part.
FBD_HD float softmax_image_term(const float* sums, int64_t n, int64_t N, const SoftmaxLossParams& prm) {
  if (prm.w_dice == 0.0f || prm.batch) return 0.0f;
  const int K = prm.classes, S = softmax_stat_count(K);
  double d = 0.0;
  for (int k = 0; k < K; ++k)
    if (class_included(k, prm)) d += 1.0 - double(softmax_dice_ratio(sums + n * S, k, prm));
  return float(double(prm.w_dice) * d / (double(N) * double(included_classes(prm))));
}

FBD_HD float softmax_batch_term(const float* sums, int64_t N, int64_t HW, const SoftmaxLossParams& prm) {
  const int K = prm.classes, S = softmax_stat_count(K), Kin = included_classes(prm);
  const float* batch = sums + N * S;
  double v = 0.0;
  if (prm.w_dice != 0.0f && prm.batch) {
    double d = 0.0;
    for (int k = 0; k < K; ++k)
      if (class_included(k, prm)) d += 1.0 - double(softmax_dice_ratio(batch, k, prm));
    v += double(prm.w_dice) * d / double(Kin);
  }
  if (prm.w_focal != 0.0f) v += double(prm.w_focal) * double(batch[4 * K]) / (double(N) * double(HW));
  if (prm.w_bd != 0.0f) {
    double b = 0.0;
    for (int k = 0; k < K; ++k)
      if (class_included(k, prm)) b += double(batch[4 * k + 3]);
    v += double(prm.w_bd) * b / (double(N) * double(Kin) * double(HW));
  }
  return float(v);
}

inline float softmax_loss_value(const float* sums, int64_t N, int64_t HW, const SoftmaxLossParams& prm) {
  double v = 0.0;
  for (int64_t n = 0; n < N; ++n) v += double(softmax_image_term(sums, n, N, prm));
  return float(v + double(softmax_batch_term(sums, N, HW, prm)));
}

// Coefficients of one image: c_k = da[k] g_k + db[k] dP_k + dphi[k] phi_k, and the focal scale.
struct McCoef {
  float da[kMaxClasses], db[kMaxClasses], dphi[kMaxClasses];
  float focal;
};

FBD_HD McCoef softmax_coef(const float* sums, int64_t n, int64_t N, int64_t HW, const SoftmaxLossParams& prm) {
  const int K = prm.classes, S = softmax_stat_count(K), Kin = included_classes(prm);
  const float* row = sums + (prm.batch ? N : n) * S;
  const float sd = prm.w_dice / (float(prm.batch ? 1 : N) * float(Kin));
  const float sb = float(double(prm.w_bd) / (double(N) * double(Kin) * double(HW)));
  McCoef c;
  for (int k = 0; k < kMaxClasses; ++k) {
    c.da[k] = 0.0f;
    c.db[k] = 0.0f;
    c.dphi[k] = 0.0f;
    if (k < K && class_included(k, prm)) {
      if (prm.w_dice != 0.0f) {
        const float D = row[4 * k + 1] + row[4 * k + 2] + prm.eps_den;
        c.da[k] = -sd * (2.0f / D);
        c.db[k] = sd * ((2.0f * row[4 * k] + prm.eps_num) / D) / D;
      }
      c.dphi[k] = sb;
    }
  }
  c.focal = float(double(prm.w_focal) / (double(N) * double(HW)));
  return c;
}

}  // namespace fbd::kernels
