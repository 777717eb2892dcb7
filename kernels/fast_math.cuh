// exp and log for the per-element math. On the device these are CUDA's expf and logf
// (hardware-assisted, within 2 ulp). On the host they are branch-free versions of the Cephes
// single-precision algorithms, because glibc's expf/logf are opaque calls that stop GCC
// vectorising a loop, which made a CPU sigmoid four times slower than PyTorch's.
//
//   exp: x = n ln2 + r with n = round(x / ln2) and |r| <= ln2/2 (ln2 split in two parts so
//        n*ln2 is exact), exp(r) by a degree-7 polynomial, then a scale by 2^n applied as two
//        exact power-of-two multiplies so results down to the subnormal range are right.
//   log: x = m 2^e with m in [sqrt(1/2), sqrt(2)), log(1 + f) = f - f^2/2 + f^3 P(f), plus e*ln2.
// Both are within 2 ulp of the correctly rounded result over the whole float range
// (tests/kernels/test_fast_math.cpp checks 2^24 points per function) and handle 0, subnormals,
// infinities and NaN as IEEE libm does.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/common.h"

namespace fbd::kernels {

#if !defined(__CUDA_ARCH__)
namespace host_math {
inline float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline uint32_t to_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
// `a` where cond holds, else `b`, without a branch.
inline uint32_t select_bits(bool cond, uint32_t a, uint32_t b) {
  const uint32_t m = 0u - uint32_t(cond);
  return (a & m) | (b & ~m);
}
inline float pow2i(int32_t n) { return from_bits(uint32_t(n + 127) << 23); }  // n in [-126, 127]

inline float expf_vec(float x) {
  const float hi = 88.72283935546875f;    // above: +inf
  const float lo = -103.97208404541015f;  // below: 0
  const bool nan = x != x;
  float xc = nan ? 0.0f : (x > hi ? hi : (x < lo ? lo : x));
  const float n = std::nearbyint(xc * 1.44269504088896341f);
  float r = xc - n * 0.693359375f;  // ln2 high part: n * it is exact for |n| < 2^9
  r = r - n * -2.12194440e-4f;      // ln2 low part
  const float r2 = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r2 + r + 1.0f;
  const int32_t ni = int32_t(n);             // in [-150, 128]
  const int32_t n1 = ni >> 1, n2 = ni - n1;  // each in [-75, 64]
  float y = p * pow2i(n1) * pow2i(n2);
  y = x > hi ? HUGE_VALF : y;
  y = x < lo ? 0.0f : y;
  return nan ? x : y;
}

inline float logf_vec(float x) {
  // Classify by bit pattern: integer compares vectorise, while an ordered float compare that
  // may trap on NaN keeps GCC from if-converting the loop.
  const uint32_t ux = to_bits(x), mag = ux & 0x7fffffffu;
  const bool sub = mag < 0x00800000u;              // zero or subnormal: rescale by 2^23 first
  const float xs = x * (sub ? 8388608.0f : 1.0f);  // unconditional multiply: no branch
  const uint32_t bits = to_bits(xs);
  int32_t e = int32_t((bits >> 23) & 0xffu) - 126 - (sub ? 23 : 0);
  float m = from_bits((bits & 0x007fffffu) | 0x3f000000u);  // in [0.5, 1)
  const bool low = m < 0.707106781186547524f;
  e = low ? e - 1 : e;
  m = (m - 1.0f) + (low ? m : 0.0f);  // f = 2m - 1 or m - 1, exact, in [-0.293, 0.414)
  const float z = m * m;
  float p = 7.0376836292e-2f;
  p = p * m - 1.1514610310e-1f;
  p = p * m + 1.1676998740e-1f;
  p = p * m - 1.2420140846e-1f;
  p = p * m + 1.4249322787e-1f;
  p = p * m - 1.6668057665e-1f;
  p = p * m + 2.0000714765e-1f;
  p = p * m - 2.4999993993e-1f;
  p = p * m + 3.3333331174e-1f;
  const float fe = float(e);
  float y = p * m * z;
  y = y + fe * -2.12194440e-4f;
  y = y - 0.5f * z;
  y = m + y + fe * 0.693359375f;
  // Special cases as bit masks (a ?: here makes GCC keep a branch and give up vectorising).
  uint32_t out = to_bits(y);
  out = select_bits(mag == 0u, 0xff800000u, out);                               // log(+-0) = -inf
  out = select_bits(ux > 0x80000000u && mag <= 0x7f800000u, 0x7fc00000u, out);  // x < 0: NaN
  out = select_bits(ux == 0x7f800000u, 0x7f800000u, out);                       // log(inf) = inf
  out = select_bits(mag > 0x7f800000u, ux, out);                                // NaN stays NaN
  return from_bits(out);
}
}  // namespace host_math
#endif

FBD_HD float fbd_expf(float x) {
#if defined(__CUDA_ARCH__)
  return expf(x);
#else
  return host_math::expf_vec(x);
#endif
}

FBD_HD float fbd_logf(float x) {
#if defined(__CUDA_ARCH__)
  return logf(x);
#else
  return host_math::logf_vec(x);
#endif
}

}  // namespace fbd::kernels
