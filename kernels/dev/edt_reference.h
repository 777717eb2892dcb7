// The CPU references of the EDT walkthrough (kernels/dev/edt_walkthrough.cu). Host-only C++ (g++
// or nvcc's host pass), tested against fbd's CPU twin on every machine
// (tests/kernels/test_walkthrough_reference.cpp).
//
// Convention: fbd's EdtOutput::Distance (kernels/edt_kernels.h), SciPy's distance_transform_edt:
// for a batch of N binary images of H x W pixels and a pixel spacing (sy, sx),
//
//   out[n, y, x] = min over (y', x') with in[n, y', x'] == 0 of sqrt(sy^2 (y - y')^2 + sx^2 (x - x')^2)
//
// the distance from every pixel to the nearest zero pixel: 0 on the zero pixels themselves, and
// +inf on every pixel of an image that has no zero pixel at all. The squared distance is formed
// in double with sy^2 = double(sy) * double(sy) (likewise sx^2), and rounded to float once, after
// the square root. For unit spacing every squared distance is an exact integer, so the result is
// the correctly rounded distance and two correct implementations agree bit for bit.
//
// Two references:
//   edt_brute_force  every pixel against every zero pixel of its image: O((HW)^2), obviously
//                    right, only usable on small images;
//   edt_separable    Felzenszwalb & Huttenlocher's separable algorithm: a 1-D transform down every
//                    column, then along every row, each a lower envelope of parabolas: O(HW).
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace fbd::dev {

inline constexpr double kEdtInf = std::numeric_limits<double>::infinity();

// Brute force: for each pixel, the minimum squared distance over every zero pixel of its image.
inline void edt_brute_force(const uint8_t* in, float* out, int64_t N, int64_t H, int64_t W, float sy, float sx) {
  const double sy2 = double(sy) * double(sy), sx2 = double(sx) * double(sx);
  for (int64_t n = 0; n < N; ++n) {
    const uint8_t* img = in + n * H * W;
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) {
        double best = kEdtInf;
        for (int64_t y2 = 0; y2 < H; ++y2)
          for (int64_t x2 = 0; x2 < W; ++x2) {
            if (img[y2 * W + x2] != 0) continue;
            const double dy = double(y - y2), dx = double(x - x2);
            const double d2 = sy2 * (dy * dy) + sx2 * (dx * dx);
            if (d2 < best) best = d2;
          }
        out[(n * H + y) * W + x] = float(std::sqrt(best));  // sqrt(+inf) = +inf: no zero pixel
      }
  }
}

// The 1-D squared distance transform of one line of n samples f[0], f[stride], ...:
//
//   d[i] = min over j of  a (i - j)^2 + f[j]      (a = the squared spacing along the line)
//
// i.e. the lower envelope of one parabola per sample j, with apex (j, f[j]); samples with
// f[j] = +inf have no parabola. Built left to right: v[0..k] are the sites of the envelope so
// far, and site v[j] is lowest on [b[j], b[j+1]). A new site q first meets the top site v[k] at
//
//   s = ((f[q] + a q^2) - (f[v] + a v^2)) / (2 a (q - v))
//
// and if s <= b[k], v[k] is nowhere lowest any more: pop it and try again. Then read the envelope
// left to right. O(n): every site is pushed and popped at most once. v needs n ints, b n + 1
// doubles. Exactness: for unit spacing every numerator and denominator is an exact integer
// and each s a correctly rounded quotient; two different quotients of denominators at most 2n
// differ by at least 1/(4 n^2), far more than a rounding error for the sides this walkthrough
// uses (n up to a few thousand), so every comparison is decided as in exact arithmetic.
inline void edt_envelope_1d(const double* f, int64_t stride, double* d, int64_t n, double a, int* v, double* b) {
  int k = -1;
  for (int q = 0; q < int(n); ++q) {
    const double fq = f[q * stride];
    if (fq == kEdtInf) continue;
    if (k < 0) {
      k = 0;
      v[0] = q;
      b[0] = -kEdtInf;
      b[1] = kEdtInf;
      continue;
    }
    double s;
    for (;;) {
      const int p = v[k];
      const double fp = f[p * stride];
      s = ((fq + a * double(q) * double(q)) - (fp + a * double(p) * double(p))) / (2.0 * a * double(q - p));
      if (s > b[k]) break;
      --k;  // b[0] = -inf, so the loop always stops with k >= 0
    }
    ++k;
    v[k] = q;
    b[k] = s;
    b[k + 1] = kEdtInf;
  }
  if (k < 0) {  // no site at all on this line
    for (int64_t i = 0; i < n; ++i) d[i * stride] = kEdtInf;
    return;
  }
  int j = 0;
  for (int i = 0; i < int(n); ++i) {
    while (b[j + 1] < double(i)) ++j;
    const double di = double(i - v[j]);
    d[i * stride] = a * (di * di) + f[v[j] * stride];
  }
}

// The separable exact EDT: columns (f = 0 on zero pixels, +inf elsewhere, a = sy^2), then rows
// of the column result (a = sx^2). After the column pass, g[y, x] = sy^2 h^2 with h the vertical
// distance to the nearest zero pixel in column x; the row pass then gives
// min over x' of sx^2 (x - x')^2 + sy^2 h(y, x')^2, the squared distance in the plane.
inline void edt_separable(const uint8_t* in, float* out, int64_t N, int64_t H, int64_t W, float sy, float sx) {
  const double sy2 = double(sy) * double(sy), sx2 = double(sx) * double(sx);
  const int64_t L = H > W ? H : W;
  std::vector<double> f(static_cast<size_t>(H * W)), g(static_cast<size_t>(H * W)), b(static_cast<size_t>(L + 1));
  std::vector<int> v(static_cast<size_t>(L));
  for (int64_t n = 0; n < N; ++n) {
    const uint8_t* img = in + n * H * W;
    for (int64_t i = 0; i < H * W; ++i) f[size_t(i)] = img[i] == 0 ? 0.0 : kEdtInf;
    for (int64_t x = 0; x < W; ++x) edt_envelope_1d(f.data() + x, W, g.data() + x, H, sy2, v.data(), b.data());
    for (int64_t y = 0; y < H; ++y) edt_envelope_1d(g.data() + y * W, 1, f.data() + y * W, W, sx2, v.data(), b.data());
    for (int64_t i = 0; i < H * W; ++i) out[n * H * W + i] = float(std::sqrt(f[size_t(i)]));
  }
}

}  // namespace fbd::dev
