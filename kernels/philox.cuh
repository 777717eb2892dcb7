// Philox4x32-10 and the transforms to uniform and normal floats, shared by CPU and CUDA.
//
// Round (Salmon et al. 2011): with M0 = 0xD2511F53, M1 = 0xCD9E8D57,
//   (hi0, lo0) = M0 * c0,  (hi1, lo1) = M1 * c2          (32x32 -> 64-bit products)
//   c' = (hi1 ^ c1 ^ k0,  lo1,  hi0 ^ c3 ^ k1,  lo0)
// and the key is bumped by the Weyl constants (0x9E3779B9, 0xBB67AE85) between rounds.
// Ten rounds pass BigCrush. Known answers are checked in tests/kernels/test_philox.cpp.
#pragma once
#include <cmath>
#include <cstdint>

#include "kernels/common.h"

namespace fbd::kernels {

struct Philox4 {
  uint32_t w[4];
};

FBD_HD Philox4 philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    const uint64_t p0 = uint64_t(0xD2511F53u) * c0;
    const uint64_t p1 = uint64_t(0xCD9E8D57u) * c2;
    const uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0);
    const uint32_t hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
  }
  return {{c0, c1, c2, c3}};
}

// Block `b` of the stream keyed by `seed`: counter (lo32(b), hi32(b), 0, 0), key (lo32(seed), hi32(seed)).
FBD_HD Philox4 philox_block(uint64_t seed, uint64_t b) {
  return philox4x32_10(uint32_t(b), uint32_t(b >> 32), 0u, 0u, uint32_t(seed), uint32_t(seed >> 32));
}

// [0, 1) from the top 24 bits: exact in float.
FBD_HD float u01_open1(uint32_t w) { return float(w >> 8) * (1.0f / 16777216.0f); }
// (0, 1] from the top 24 bits: safe for log.
FBD_HD double u01_open0(uint32_t w) { return double((w >> 8) + 1u) * (1.0 / 16777216.0); }

// ln(x) for x in (0, 1], from + - * / only. x = m * 2^e with m in [sqrt(1/2), sqrt(2)) (the
// doublings are exact), then ln m = 2 atanh(s), s = (m - 1) / (m + 1), |s| <= 0.172, by its odd
// series to s^15 (truncation below 1e-14 relative).
FBD_HD double portable_log(double x) {
  int e = 0;
  double m = x;
  while (m < 0.70710678118654752) {  // at most 24 steps for x >= 2^-24
    m *= 2.0;
    --e;
  }
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  const double series =
      1.0 +
      s2 * (1.0 / 3 + s2 * (1.0 / 5 + s2 * (1.0 / 7 + s2 * (1.0 / 9 + s2 * (1.0 / 11 + s2 * (1.0 / 13 + s2 / 15))))));
  return 2.0 * s * series + double(e) * 0.69314718055994531;
}

// sin and cos of a in [0, pi/4] by Taylor series to a^13 / a^14 (error below 1e-12).
FBD_HD void sincos_small(double a, double& s, double& c) {
  const double a2 = a * a;
  s = a * (1.0 - a2 / 6 * (1.0 - a2 / 20 * (1.0 - a2 / 42 * (1.0 - a2 / 72 * (1.0 - a2 / 110 * (1.0 - a2 / 156))))));
  c = 1.0 -
      a2 / 2 *
          (1.0 - a2 / 12 * (1.0 - a2 / 30 * (1.0 - a2 / 56 * (1.0 - a2 / 90 * (1.0 - a2 / 132 * (1.0 - a2 / 182))))));
}

// cos and sin of 2*pi*u for u in [0, 1): reduce to a quarter turn k and a fraction r, fold r
// into [0, 1/2], evaluate at angle r*pi/2 <= pi/4, then rotate by k quarter turns (exact).
FBD_HD void sincos_turns(double u, double& s_out, double& c_out) {
  const double v = u * 4.0;
  const int k = int(v);
  const double r = v - double(k);
  const bool flip = r > 0.5;
  double s, c;
  sincos_small((flip ? 1.0 - r : r) * 1.5707963267948966, s, c);
  if (flip) {
    const double t = s;
    s = c;
    c = t;
  }
  switch (k & 3) {
    case 0:
      s_out = s;
      c_out = c;
      break;
    case 1:
      s_out = c;
      c_out = -s;
      break;
    case 2:
      s_out = -s;
      c_out = -c;
      break;
    default:
      s_out = -c;
      c_out = s;
      break;
  }
}

// Box-Muller on the word pair (w_radius, w_angle): two independent N(0, 1) values.
FBD_HD void box_muller(uint32_t w_radius, uint32_t w_angle, float& z0, float& z1) {
  const double r = ::sqrt(-2.0 * portable_log(u01_open0(w_radius)));
  double s, c;
  sincos_turns(double(w_angle >> 8) * (1.0 / 16777216.0), s, c);
  z0 = float(r * c);
  z1 = float(r * s);
}

// The four values of block b (elements 4b .. 4b+3) of each distribution.
FBD_HD void uniform4(uint64_t seed, uint64_t b, float lo, float hi, float out[4]) {
  const Philox4 r = philox_block(seed, b);
  for (int j = 0; j < 4; ++j) out[j] = lo + (hi - lo) * u01_open1(r.w[j]);
}

FBD_HD void normal4(uint64_t seed, uint64_t b, float mean, float std, float out[4]) {
  const Philox4 r = philox_block(seed, b);
  float z[4];
  box_muller(r.w[0], r.w[1], z[0], z[1]);
  box_muller(r.w[2], r.w[3], z[2], z[3]);
  for (int j = 0; j < 4; ++j) out[j] = mean + std * z[j];
}

}  // namespace fbd::kernels
