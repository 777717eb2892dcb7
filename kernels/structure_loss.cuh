// Per-pixel math of the structure and BCE-based boundary losses (structure_loss_kernels.h), shared by
// structure_loss.cu and structure_loss_cpu.cpp.
//
// Gradient, per image n (N images, HW pixels, total = N HW), with A = sum w p g + 1 and
// B = sum w (p + g) - sum w p g + 1, so L_wIoU = 1 - A / B:
//   dA/dp_i = w_i g_i,  dB/dp_i = w_i (1 - g_i)
//   dL_wIoU/dp_i = -(dA B - A dB) / B^2 = w_i (-g_i / B + A (1 - g_i) / B^2)
//   dL_wBCE/dz_i = w_i (p_i - g_i) / sum w          (plain mean: (p_i - g_i) / (HW) per image,
//                                                    i.e. (p_i - g_i) / total for the batch mean)
//   dL_BD/dp_i   = lambda_bd phi_i / total
// and the 1/N of the mean over images on the first two; dp/dz = p q.
#pragma once
#include "kernels/loss_math.cuh"
#include "kernels/structure_loss_kernels.h"

namespace fbd::kernels {

// w = 1 + scale |count / (2r+1)^2 - g| from the window count of ones.
FBD_HD float structure_weight_of(float count, float g, int radius, float scale) {
  const float side = float(2 * radius + 1);
  return 1.0f + scale * fabsf(count / (side * side) - g);
}

struct StructPixelStats {
  float wbce, w, winter, wunion, boundary, bce, bad;
};

template <bool BD>
FBD_HD StructPixelStats structure_pixel_forward(float z, float g, float w, float phi) {
  const Logistic l = logistic(z);
  const float bce = bce_pixel(l, g);
  StructPixelStats s;
  s.wbce = w * bce;
  s.w = w;
  s.winter = w * l.p * g;
  s.wunion = w * (l.p + g);
  s.boundary = BD ? phi * l.p : 0.0f;
  s.bce = bce;
  s.bad = not_finite(z) + not_binary(g) + ((w >= 0.0f && w <= 3.402823466e38f) ? 0.0f : 1.0f);
  if (BD) s.bad += not_finite(phi);
  return s;
}

template <typename F>
FBD_HD void for_struct_stats(const StructPixelStats& s, F&& f) {
  f(kStWBce, s.wbce);
  f(kStWSum, s.w);
  f(kStWInter, s.winter);
  f(kStWUnion, s.wunion);
  f(kStBoundary, s.boundary);
  f(kStBce, s.bce);
  f(kStBad, s.bad);
}

// The value in two parts, as binary_loss.cuh: per image (wBCE + wIoU) / N, and the batch part.
FBD_HD float structure_image_term(const float* sums, int64_t n, int64_t N, int64_t HW, const StructureParams& prm) {
  const float* r = sums + n * kStructStats;
  const float* batch = sums + N * kStructStats;
  const double wbce =
      prm.plain_mean_bce ? double(batch[kStBce]) / (double(N) * double(HW)) : double(r[kStWBce]) / double(r[kStWSum]);
  const double A = double(r[kStWInter]) + 1.0;
  const double B = double(r[kStWUnion]) - double(r[kStWInter]) + 1.0;
  return float((wbce + (1.0 - A / B)) / double(N));
}

FBD_HD float structure_batch_term(const float* sums, int64_t N, int64_t HW, const StructureParams& prm) {
  if (prm.lambda_bd == 0.0f) return 0.0f;
  return float(double(prm.lambda_bd) * double(sums[N * kStructStats + kStBoundary]) / (double(N) * double(HW)));
}

inline float structure_loss_value(const float* sums, int64_t N, int64_t HW, const StructureParams& prm) {
  double v = 0.0;
  for (int64_t n = 0; n < N; ++n) v += double(structure_image_term(sums, n, N, HW, prm));
  return float(v + double(structure_batch_term(sums, N, HW, prm)));
}

struct StructCoef {
  float bce_w, bce_1;  // dL/dz += (bce_w w + bce_1) (p - g): weighted (bce_1 = 0) or plain mean (bce_w = 0)
  float iou_g;         // dL/dp += w (iou_g g + iou_ng (1 - g))
  float iou_ng;
  float bd;  // dL/dp += bd phi
};

FBD_HD StructCoef structure_coef(const float* sums, int64_t n, int64_t N, int64_t HW, const StructureParams& prm) {
  const float* r = sums + n * kStructStats;
  const float inv_n = 1.0f / float(N);
  const float inv_total = float(1.0 / (double(N) * double(HW)));
  const float A = r[kStWInter] + 1.0f;
  const float B = r[kStWUnion] - r[kStWInter] + 1.0f;
  StructCoef c;
  // Arithmetic, not a select inside the pixel loop: GCC would unswitch the loop on it and then
  // fail to vectorise the copy where w is dead.
  c.bce_w = prm.plain_mean_bce ? 0.0f : inv_n / r[kStWSum];
  c.bce_1 = prm.plain_mean_bce ? inv_total : 0.0f;
  c.iou_g = -inv_n / B;
  c.iou_ng = inv_n * (A / B) / B;
  c.bd = prm.lambda_bd * inv_total;
  return c;
}

template <bool BD>
FBD_HD float structure_pixel_grad(float z, float g, float w, float phi, const StructCoef& c) {
  float p, q;
  sigmoid_pq(z, p, q);
  float dp = w * (c.iou_g * g + c.iou_ng * (1.0f - g));
  if (BD) dp += c.bd * phi;
  return dp * (p * q) + (c.bce_w * w + c.bce_1) * (p - g);
}

}  // namespace fbd::kernels
