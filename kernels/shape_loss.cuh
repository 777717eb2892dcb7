// Per-element math of the shape-aware terms (shape_loss_kernels.h), shared by shape_loss.cu and shape_loss_cpu.cpp.
//
// Compactness gradient. With s[y,x] = sqrt(du^2 + dv^2 + o), du = p[y+1,x] - p[y,x],
// dv = p[y,x+1] - p[y,x] (the edge term at (y,x), present for y < H-1, x < W-1), pixel (y,x)
// appears in at most three edge terms: its own (as the centre), the one above (as the lower
// neighbour) and the one to its left (as the right neighbour):
//   dP/dp[y,x] = -(a[y,x] + b[y,x]) + a[y-1,x] + b[y,x-1],   a = du / s,  b = dv / s
// and with L = P^2 / (4 pi A) averaged over N images, r = P / A:
//   dL/dp = (1/N) (r / (2 pi) dP/dp - r^2 / (4 pi))           (dA/dp = 1, p > 0)
//   dL/dz = (r p q) (dP/dp / (2 pi N) - r / (4 pi N))           (r p q first: no overflow when A -> 0)
#pragma once
#include <cmath>

#include "kernels/loss_math.cuh"
#include "kernels/shape_loss_kernels.h"

namespace fbd::kernels {

inline constexpr double kPi = 3.14159265358979323846;

struct CompactEdge {
  float s, a, b;  // sqrt(du^2 + dv^2 + o), du / s, dv / s
};

FBD_HD CompactEdge compact_edge(float p, float p_down, float p_right, float o) {
  const float du = p_down - p, dv = p_right - p;
  const float s = fbd_sqrtf_pos(du * du + dv * dv + o);
  return {s, du / s, dv / s};
}

FBD_HD float sigmoid_of(float z) {
  float p, q;
  sigmoid_pq(z, p, q);
  return p;
}

FBD_HD float compactness_image_term(const float* sums, int64_t n, int64_t N) {
  const double P = sums[n * kCompactStats + kCpPerimeter], A = sums[n * kCompactStats + kCpArea];
  return float(P * P / (4.0 * kPi * A) / double(N));
}

inline float compactness_value(const float* sums, int64_t N) {
  double v = 0.0;
  for (int64_t n = 0; n < N; ++n) v += double(compactness_image_term(sums, n, N));
  return float(v);
}

struct CompactCoef {
  float r;     // P / A
  float k_dp;  // 1 / (2 pi N)
  float k_r;   // r / (4 pi N)
};

FBD_HD CompactCoef compact_coef(const float* sums, int64_t n, int64_t N) {
  const double P = sums[n * kCompactStats + kCpPerimeter], A = sums[n * kCompactStats + kCpArea];
  const double r = P / A;
  return {float(r), float(1.0 / (2.0 * kPi * double(N))), float(r / (4.0 * kPi * double(N)))};
}

FBD_HD float compact_grad(float dP, float p, float q, const CompactCoef& c) {
  return (c.r * (p * q)) * (dP * c.k_dp - c.k_r);
}

// dP/dp at (y, x) of one image (z: its logits), gathering the three edge terms: the GPU form
// (one thread per pixel, 7 sigmoids); the CPU twin keeps rows of a and b instead.
FBD_HD float compact_dP_gather(const float* z, int64_t y, int64_t x, int64_t H, int64_t W, float o) {
  const float pc = sigmoid_of(z[y * W + x]);
  float dP = 0.0f;
  if (y < H - 1 && x < W - 1) {
    const CompactEdge e = compact_edge(pc, sigmoid_of(z[(y + 1) * W + x]), sigmoid_of(z[y * W + x + 1]), o);
    dP -= e.a + e.b;
  }
  if (y >= 1 && x < W - 1) {
    const CompactEdge e = compact_edge(sigmoid_of(z[(y - 1) * W + x]), pc, sigmoid_of(z[(y - 1) * W + x + 1]), o);
    dP += e.a;
  }
  if (x >= 1 && y < H - 1) {
    const CompactEdge e = compact_edge(sigmoid_of(z[y * W + x - 1]), sigmoid_of(z[(y + 1) * W + x - 1]), pc, o);
    dP += e.b;
  }
  return dP;
}

// ---- bands: C = g - erode(g), B = dilate(g) - g over the 3x3 square; outside pixels are 0 ----
FBD_HD void band_pixel(const float* g, int64_t y, int64_t x, int64_t H, int64_t W, float& contour, float& background) {
  float lo = 1.0f, hi = 0.0f;
  for (int dy = -1; dy <= 1; ++dy)
    for (int dx = -1; dx <= 1; ++dx) {
      const int64_t yy = y + dy, xx = x + dx;
      const float v = (yy >= 0 && yy < H && xx >= 0 && xx < W) ? g[yy * W + xx] : 0.0f;
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
    }
  const float c = g[y * W + x];
  contour = c - lo;
  background = hi - c;
}

FBD_HD float masked_mean(float sum, float count) { return count > 0.0f ? sum / count : 0.0f; }
FBD_HD float inverse_count(float count) { return count > 0.0f ? 1.0f / count : 0.0f; }

// ---- smoothness: each phase is a loop over [t0, end) with step `step`, so the CPU twin runs
// it with (0, 1) and the single CUDA block with (threadIdx.x, blockDim.x) between barriers ----
struct SmoothWork {
  float *nc, *nb;          // normalised rows [N, D]
  float *norm_c, *norm_b;  // row norms [N]
  float* dist;             // |e_c^m - e_b^n| [N, N]
  float *gc, *gb;          // gradients w.r.t. the normalised rows [N, D]
  float *dot_c, *dot_b;    // row dot products with those gradients [N]
};

FBD_HD SmoothWork smooth_work(float* base, int64_t N, int64_t D) {
  SmoothWork w;
  w.nc = base;
  w.nb = w.nc + N * D;
  w.gc = w.nb + N * D;
  w.gb = w.gc + N * D;
  w.norm_c = w.gb + N * D;
  w.norm_b = w.norm_c + N;
  w.dot_c = w.norm_b + N;
  w.dot_b = w.dot_c + N;
  w.dist = w.dot_b + N;
  return w;
}
inline size_t smooth_work_floats(int64_t N, int64_t D) { return size_t(4 * N * D + 4 * N + N * N); }

inline constexpr float kNormEps = 1e-12f;  // F.normalize's eps: x / max(|x|, eps)

// Rows [t0, 2N) step: row r < N of xc, r >= N of xb.
FBD_HD void smooth_normalize(const float* xc, const float* xb, int64_t N, int64_t D, const SmoothWork& w, int64_t t0,
                             int64_t step) {
  for (int64_t r = t0; r < 2 * N; r += step) {
    const bool c = r < N;
    const int64_t m = c ? r : r - N;
    const float* x = (c ? xc : xb) + m * D;
    float* y = (c ? w.nc : w.nb) + m * D;
    double s = 0.0;
    for (int64_t d = 0; d < D; ++d) s += double(x[d]) * double(x[d]);
    const float nrm = float(sqrt(s));
    (c ? w.norm_c : w.norm_b)[m] = nrm;
    const float inv = 1.0f / fmaxf(nrm, kNormEps);
    for (int64_t d = 0; d < D; ++d) y[d] = x[d] * inv;
  }
}

// Pairs k = m N + n in [t0, N^2) step: dist[k] = |e_c^m - e_b^n|; returns the sum of the pair
// terms |e_c^m - e_c^n|^2 + max(0, margin - dist)^2 over those pairs.
FBD_HD double smooth_pairs(const SmoothWork& w, int64_t N, int64_t D, float margin, int64_t t0, int64_t step) {
  double total = 0.0;
  for (int64_t k = t0; k < N * N; k += step) {
    const int64_t m = k / N, n = k % N;
    const float *cm = w.nc + m * D, *cn = w.nc + n * D, *bn = w.nb + n * D;
    double same = 0.0, cross = 0.0;
    for (int64_t d = 0; d < D; ++d) {
      const double u = double(cm[d]) - double(cn[d]), v = double(cm[d]) - double(bn[d]);
      same += u * u;
      cross += v * v;
    }
    const double dist = sqrt(cross), h = fmax(0.0, double(margin) - dist);
    w.dist[k] = float(dist);
    total += same + h * h;
  }
  return total;
}

// Elements e = m D + d in [t0, N D) step: the gradients with respect to the normalised rows,
// scaled by go / N^2:
//   dL/de_c^m = 4 (N e_c^m - sum_n e_c^n) - sum_n 2 h_mn (e_c^m - e_b^n) / dist_mn
//   dL/de_b^n = sum_m 2 h_mn (e_c^m - e_b^n) / dist_mn,   h = max(0, margin - dist)
// (a pair at distance 0 contributes no direction: its subgradient is taken as 0).
FBD_HD void smooth_grad(const SmoothWork& w, int64_t N, int64_t D, float margin, float scale, int64_t t0,
                        int64_t step) {
  for (int64_t e = t0; e < N * D; e += step) {
    const int64_t m = e / D, d = e % D;
    double sum_c = 0.0, pull = 0.0, push = 0.0;
    const double cm = w.nc[e], bm = w.nb[e];
    for (int64_t n = 0; n < N; ++n) {
      sum_c += w.nc[n * D + d];
      const double dmn = w.dist[m * N + n], hmn = fmax(0.0, double(margin) - dmn);
      if (dmn > 0.0) pull += 2.0 * hmn * (cm - double(w.nb[n * D + d])) / dmn;
      const double dnm = w.dist[n * N + m], hnm = fmax(0.0, double(margin) - dnm);
      if (dnm > 0.0) push += 2.0 * hnm * (double(w.nc[n * D + d]) - bm) / dnm;
    }
    w.gc[e] = float(scale * (4.0 * (double(N) * cm - sum_c) - pull));
    w.gb[e] = float(scale * push);
  }
}

// Rows r in [t0, 2N) step: dot of the normalised row with its gradient.
FBD_HD void smooth_dots(const SmoothWork& w, int64_t N, int64_t D, int64_t t0, int64_t step) {
  for (int64_t r = t0; r < 2 * N; r += step) {
    const bool c = r < N;
    const int64_t m = c ? r : r - N;
    const float *y = (c ? w.nc : w.nb) + m * D, *gy = (c ? w.gc : w.gb) + m * D;
    double s = 0.0;
    for (int64_t d = 0; d < D; ++d) s += double(y[d]) * double(gy[d]);
    (c ? w.dot_c : w.dot_b)[m] = float(s);
  }
}

// Elements [t0, 2 N D) step: backward of y = x / max(|x|, eps):
//   dx = (gy - y (y . gy)) / |x|  where |x| > eps,  gy / eps otherwise.
FBD_HD void smooth_unnormalize(const SmoothWork& w, int64_t N, int64_t D, float* dxc, float* dxb, int64_t t0,
                               int64_t step) {
  for (int64_t e = t0; e < 2 * N * D; e += step) {
    const bool c = e < N * D;
    const int64_t k = c ? e : e - N * D, m = k / D;
    const float nrm = (c ? w.norm_c : w.norm_b)[m];
    const float y = (c ? w.nc : w.nb)[k], gy = (c ? w.gc : w.gb)[k], dot = (c ? w.dot_c : w.dot_b)[m];
    (c ? dxc : dxb)[k] = nrm > kNormEps ? (gy - y * dot) / nrm : gy / kNormEps;
  }
}

}  // namespace fbd::kernels
