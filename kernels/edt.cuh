// The exact Euclidean distance transform's math, shared by the CUDA kernels (edt.cu) and the
// CPU twin (edt_cpu.cpp) so both run the same arithmetic, bit for bit.
//
// The squared distance to the nearest pixel of a label set S is separable:
//
//   d2(y, x) = min_x' [ sx^2 (x - x')^2 + sy^2 h(y, x')^2 ],
//   h(y, x') = min { |y - y'| : (y', x') in S }   (the vertical distance inside column x')
//
// so an exact EDT is two 1-D passes (Meijster, Roerdink & Hesselink 2000; Felzenszwalb &
// Huttenlocher 2012):
//
//  1. Column pass. For binary input h is the distance to the nearest pixel of the label in the
//     same column: a sweep down and a sweep up. One pass serves both labels at once: a pixel of
//     label L is at vertical distance 0 from label L, so it only has to remember its distance
//     to the *other* label. The pass writes one int32 code per pixel, (h_other << 1) | L.
//  2. Row pass. For each row, the lower envelope of the parabolas x -> sx^2 (x - x')^2 + f(x'),
//     f(x') = sy^2 h(x')^2, one per column that has a pixel of the label. Built left to right
//     with a stack of (site, start) pairs, read back right to left: O(W) per row. The stack
//     holds integer start positions (Meijster's formulation), so the pop test compares the
//     parabolas' values at an integer pixel, which are exact integers for unit spacing.
//
// Exactness: all squared distances are computed in double from integers; for unit spacing they
// are exact integers (W, H < 2^24 keeps them below 2^53), so the result is the correctly
// rounded sqrt of the exact squared distance: the same float SciPy's float64 result rounds to.
// The products go through edt_mul / edt_add, which on the device are the _rn intrinsics
// nvcc never contracts into FMA; on the host they are plain * and +, and edt_cpu.cpp is
// compiled with -ffp-contract=off (kernels/CMakeLists.txt), because GCC would otherwise fuse
// them wherever the target has FMA. So with anisotropic spacing CPU and GPU round identically,
// whatever -march the twin was built for (tests/kernels/test_twin_isa.cpp).
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels/common.h"
#include "kernels/edt_kernels.h"

namespace fbd::kernels {

// h when a column has no pixel of the other label. Codes stay positive int32.
inline constexpr int32_t kEdtNoSite = 0x3fffffff;

FBD_HD double edt_mul(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
FBD_HD double edt_add(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}

FBD_HD int32_t edt_code(int32_t h_other, int label) { return (h_other << 1) | label; }
FBD_HD int edt_label(int32_t code) { return code & 1; }
FBD_HD int32_t edt_other(int32_t code) { return code >> 1; }
// Vertical distance from the pixel with `code` to the nearest pixel of label `target` in its
// column: 0 where the pixel has that label itself; kEdtNoSite when the column has none.
FBD_HD int32_t edt_height(int32_t code, int target) { return edt_label(code) == target ? 0 : edt_other(code); }

// ---- column pass -------------------------------------------------------------------------
// Sweep down: `last[L]` is the row of the last pixel of label L seen so far (-1: none yet).
// Returns the pixel's code with h_other = distance to the last pixel of the other label above.
FBD_HD int32_t edt_column_down(int label, int32_t y, int32_t& last0, int32_t& last1) {
  if (label)
    last1 = y;
  else
    last0 = y;
  const int32_t other = label ? last0 : last1;
  return edt_code(other < 0 ? kEdtNoSite : y - other, label);
}
// Sweep up, over the codes of the down sweep: `next[L]` is the row of the nearest pixel of label
// L below (-1: none). Returns the final code (nearest pixel of the other label above or below).
FBD_HD int32_t edt_column_up(int32_t code, int32_t y, int32_t& next0, int32_t& next1) {
  const int label = edt_label(code);
  if (label)
    next1 = y;
  else
    next0 = y;
  const int32_t other = label ? next0 : next1;
  int32_t h = edt_other(code);
  if (other >= 0 && other - y < h) h = other - y;
  return edt_code(h, label);
}

// One column of n pixels at in[y * stride] (nonzero = label 1) -> code[y * stride].
template <typename T>
FBD_HD void edt_column(const T* in, int32_t* code, int32_t n, int64_t stride) {
  int32_t last0 = -1, last1 = -1;
  for (int32_t y = 0; y < n; ++y) code[y * stride] = edt_column_down(in[y * stride] != T(0), y, last0, last1);
  int32_t next0 = -1, next1 = -1;
  for (int32_t y = n - 1; y >= 0; --y) code[y * stride] = edt_column_up(code[y * stride], y, next0, next1);
}

// ---- row pass ----------------------------------------------------------------------------
// Value at pixel x of the parabola of column site s with height h: sx2 (x - s)^2 + sy2 h^2.
FBD_HD double edt_parabola(int32_t x, int32_t s, int32_t h, double sx2, double sy2) {
  const double dx = double(x - s), dh = double(h);
  return edt_add(edt_mul(sx2, dx * dx), edt_mul(sy2, dh * dh));
}

// Last pixel at which the parabola of site s (height hs) is still no worse than the one of a
// later site u > s (height hu): floor of the abscissa where the two meet.
FBD_HD int64_t edt_separation(int32_t s, int32_t hs, int32_t u, int32_t hu, double sx2, double sy2) {
  const double ds = double(s), du = double(u), dhs = double(hs), dhu = double(hu);
  const double num = edt_add(edt_add(edt_mul(sx2, du * du), -edt_mul(sx2, ds * ds)),
                             edt_add(edt_mul(sy2, dhu * dhu), -edt_mul(sy2, dhs * dhs)));
  const double x = num / edt_mul(2.0 * sx2, du - ds);
  // Past the row on either side the exact value does not matter (the caller only compares it
  // with 0..n); clamping keeps the conversion defined for extreme spacing ratios.
  if (x >= 2147483647.0) return 2147483647;
  if (x <= -2.0) return -2;
  int64_t f = int64_t(x);  // floor

  if (double(f) > x) --f;
  return f;
}

// Builds the lower envelope of one row of n codes for label `target`. On return, the envelope
// is sites[0..k) with sites[j] minimal on pixels [starts[j], starts[j+1]); returns k (0: the row,
// hence the whole image, has no pixel of label `target`).
FBD_HD int32_t edt_envelope(const int32_t* code, int32_t n, int target, double sx2, double sy2, int32_t* sites,
                            int32_t* starts) {
  int32_t k = 0;
  for (int32_t u = 0; u < n; ++u) {
    const int32_t hu = edt_height(code[u], target);
    if (hu == kEdtNoSite) continue;
    // Pop every site that u beats already at the first pixel the site owns.
    while (k > 0) {
      const int32_t s = sites[k - 1], t = starts[k - 1];
      if (edt_parabola(t, s, edt_height(code[s], target), sx2, sy2) > edt_parabola(t, u, hu, sx2, sy2))
        --k;
      else
        break;
    }
    if (k == 0) {
      sites[0] = u;
      starts[0] = 0;
      k = 1;
      continue;
    }
    const int32_t s = sites[k - 1];
    const int64_t w = 1 + edt_separation(s, edt_height(code[s], target), u, hu, sx2, sy2);
    if (w < n) {  // u owns [w, ...): push it (otherwise it never wins inside the row)
      sites[k] = u;
      starts[k] = int32_t(w);
      ++k;
    }
  }
  return k;
}

// The squared distance at pixel x given the envelope entry j that owns it.
FBD_HD double edt_envelope_value(const int32_t* code, int32_t x, int32_t site, int target, double sx2, double sy2) {
  return edt_parabola(x, site, edt_height(code[site], target), sx2, sy2);
}

FBD_HD float edt_infinity() { return std::numeric_limits<float>::infinity(); }

// The row pass for one row: codes in, distances (or phi) out. sites/starts: n int32 each.
FBD_HD void edt_row(const int32_t* code, float* out, int32_t n, EdtOutput mode, double sx2, double sy2, int32_t* sites,
                    int32_t* starts) {
  // Distance: one envelope (label 0), read by every pixel. Signed: the label-0 envelope is read
  // by foreground pixels (distance to the background), the label-1 envelope by background ones.
  const int targets = mode == EdtOutput::Signed ? 2 : 1;
  for (int target = 0; target < targets; ++target) {
    const int32_t k = edt_envelope(code, n, target, sx2, sy2, sites, starts);
    // Which pixels read this envelope: all (Distance), or those of the other label (Signed).
    for (int32_t x = n - 1, j = k - 1; x >= 0; --x) {
      const int label = edt_label(code[x]);
      if (mode == EdtOutput::Signed && label == target) continue;
      if (k == 0) {  // the image has no pixel of label `target`
        out[x] = mode == EdtOutput::Signed ? 0.0f : edt_infinity();
        continue;
      }
      while (j > 0 && starts[j] > x) --j;
      // In double up to the one rounding to float, as SciPy's float64 result rounded to float32.
      const double d = ::sqrt(edt_envelope_value(code, x, sites[j], target, sx2, sy2));
      out[x] = float(mode == EdtOutput::Signed && target == 0 ? 1.0 - d : d);
    }
  }
}

}  // namespace fbd::kernels
