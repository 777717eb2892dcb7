// The CPU reference of the Dice walkthrough (kernels/dev/dice_walkthrough.cu): soft Dice on logits
// and the Focal Boundary Dice compound, value and gradient, written the obvious way with double
// accumulation. Host-only C++ (g++ or nvcc's host pass), so the tests can hold it to fbd's CPU
// twin on machines without a GPU (tests/kernels/test_walkthrough_reference.cpp).
//
// It is deliberately independent of fbd's kernels: no shared per-pixel helper, no tiling, no
// float anywhere in the arithmetic. That is what makes it a reference: if it agreed with the
// production kernels only because it called the same code, the agreement would prove nothing.
//
// Soft Dice (MONAI's DiceLoss(sigmoid=True) with smooth_nr = smooth_dr = eps), N images of HW pixels:
//
//   p_i = sigmoid(z_i),  I_n = sum_i p_i g_i,  P_n = sum_i p_i,  G_n = sum_i g_i,  D_n = P_n + G_n + eps
//   L   = (1/N) sum_n [1 - (2 I_n + eps) / D_n]
//
// Gradient, by the quotient rule (dI_n/dp_i = g_i, dD_n/dp_i = 1) and the chain rule (dp/dz = p (1 - p)):
//
//   dL/dp_i = -(1/N) [2 g_i / D_n - (2 I_n + eps) / D_n^2]
//   dL/dz_i = dL/dp_i * p_i (1 - p_i)
//
// The Focal Boundary Dice compound (paper Eq. 2) adds a focal term (torchvision's
// sigmoid_focal_loss, mean over all pixels) and a boundary term (mean of phi p, phi the signed
// distance map of the target):
//
//   L = w_dice L_Dice + w_focal (1/total) sum_i f_i + w_bd (1/total) sum_i phi_i p_i,   total = N HW
//   f_i = a_t (1 - p_t)^gamma BCE(z_i, g_i),   p_t = p g + (1 - p)(1 - g),   a_t = a g + (1 - a)(1 - g)
//
// With s = 2 g - 1 and x = s z (so p_t = sigmoid(x), m = 1 - p_t = sigmoid(-x), BCE = softplus(-x)):
//
//   df/dz = -s a_t m^gamma (gamma p_t BCE + m)
//
// (dm/dx = -p_t m, dBCE/dx = -m; no negative power of m appears). The tests check both
// gradients against finite differences of these very values, so the reference does not rest on
// the derivation being right.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace fbd::dev {

// sigmoid(z) and 1 - sigmoid(z) in double; 1 - p is never formed by subtraction, so it keeps its
// relative precision where p rounds to 1 (z = 40: 1 - p would be 0, q is 4e-18).
inline void sigmoid_ref(double z, double& p, double& q) {
  const double e = std::exp(-std::fabs(z));  // in (0, 1]: never overflows
  const double big = 1.0 / (1.0 + e), small = e / (1.0 + e);
  p = z >= 0.0 ? big : small;
  q = z >= 0.0 ? small : big;
}

// softplus(x) = log(1 + e^x), without overflow.
inline double softplus_ref(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x))); }

// Soft Dice of N images of HW pixels: returns L and, when dz is not null, writes dL/dz (N*HW
// values). In and Out may be float or double (the tests run it in double for finite
// differences). The per-image sums are plain sequential double sums: the obvious loops.
template <typename In, typename Out>
double dice_reference(const In* z, const In* g, int64_t N, int64_t HW, Out* dz, double eps = 1e-5) {
  double loss = 0.0;
  for (int64_t n = 0; n < N; ++n) {
    const In* zn = z + n * HW;
    const In* gn = g + n * HW;
    // Pass 1: the three sums of this image.
    double I = 0.0, P = 0.0, G = 0.0;
    for (int64_t i = 0; i < HW; ++i) {
      double p, q;
      sigmoid_ref(double(zn[i]), p, q);
      I += p * double(gn[i]);
      P += p;
      G += double(gn[i]);
    }
    const double D = P + G + eps;
    loss += 1.0 - (2.0 * I + eps) / D;
    if (dz == nullptr) continue;
    // Pass 2: every pixel's gradient needs the finished sums of its image.
    const double a = 2.0 / D, b = (2.0 * I + eps) / (D * D);
    for (int64_t i = 0; i < HW; ++i) {
      double p, q;
      sigmoid_ref(double(zn[i]), p, q);
      const double dp = -(a * double(gn[i]) - b) / double(N);
      dz[n * HW + i] = Out(dp * p * q);
    }
  }
  return N > 0 ? loss / double(N) : 0.0;
}

// The weights and focal parameters of the compound (the paper's, and fbd's defaults).
struct CompoundParams {
  double w_dice = 0.5, w_focal = 0.3, w_bd = 0.2;
  double gamma = 2.0, alpha = 0.25;  // alpha < 0: no class weighting
  double eps = 1e-5;
};

// Focal Boundary Dice of N images: returns L and, when dz is not null, writes dL/dz.
template <typename In, typename Out>
double focal_boundary_dice_reference(const In* z, const In* g, const In* phi, int64_t N, int64_t HW,
                                     const CompoundParams& prm, Out* dz) {
  const double total = double(N) * double(HW);
  if (total == 0.0) return 0.0;
  // The Dice part first (its gradient kept in double), then the pixel terms on top.
  std::vector<double> ddice(dz != nullptr ? size_t(N * HW) : 0);
  const double loss = prm.w_dice * dice_reference(z, g, N, HW, dz != nullptr ? ddice.data() : nullptr, prm.eps);
  double focal = 0.0, boundary = 0.0;
  for (int64_t i = 0; i < N * HW; ++i) {
    const double zi = double(z[i]), gi = double(g[i]), phii = double(phi[i]);
    double p, q;
    sigmoid_ref(zi, p, q);
    const double s = 2.0 * gi - 1.0, x = s * zi;
    double pt, m;
    sigmoid_ref(x, pt, m);
    const double ce = softplus_ref(-x);
    const double at = prm.alpha < 0.0 ? 1.0 : (gi != 0.0 ? prm.alpha : 1.0 - prm.alpha);
    const double mg = std::pow(m, prm.gamma);
    focal += at * mg * ce;
    boundary += phii * p;
    if (dz != nullptr) {
      const double dfocal = -s * at * mg * (prm.gamma * pt * ce + m);
      dz[i] = Out(prm.w_dice * ddice[size_t(i)] + prm.w_focal * dfocal / total + prm.w_bd * phii * p * q / total);
    }
  }
  return loss + prm.w_focal * focal / total + prm.w_bd * boundary / total;
}

}  // namespace fbd::dev
