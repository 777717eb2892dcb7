// The exact 3-D Euclidean distance transform's math, shared by the CUDA kernels (edt3d.cu) and
// the CPU twin (edt3d_cpu.cpp) so both run the same arithmetic, bit for bit. Built on the 2-D
// transform's helpers (kernels/edt.cuh: the column codes, edt_mul / edt_add).
//
// The squared distance to the nearest voxel of a label set S separates one axis at a time:
//
//   d2(z, y, x) = min_x' [ sx^2 (x - x')^2 + p2(z, y, x') ]
//   p2(z, y, x) = min_y' [ sy^2 (y - y')^2 + sz^2 h(z, y', x)^2 ]
//   h(z, y, x)  = min { |z - z'| : (z', y, x) in S }
//
// so the exact 3-D EDT is three 1-D passes (Felzenszwalb & Huttenlocher 2012; Meijster et al.):
//
//  1. z pass: h, by the 2-D transform's column sweeps (edt_column) run along z. A volume of
//     D x H x W is, for this pass, an image of D rows and H*W columns. Writes the int32 code
//     (h_other << 1) | label per voxel: one pass serves both labels, as in 2-D.
//  2. y pass: along each y line, the lower envelope of the parabolas y -> sy^2 (y - y')^2 + f(y'),
//     f = sz^2 h^2 (edt3d_envelope, the same stack of sites and integer starts as edt_envelope).
//     Each voxel keeps p2 to the *other* label only (a voxel is at distance 0 from its own), in
//     one double whose sign carries the label: -p2 on label 1, +p2 on label 0 (edt3d_plane_code).
//     p2 > 0 for a voxel of the other label (it is a different voxel), so the sign is never
//     ambiguous, and pass 3 needs neither the codes nor the input again.
//  3. x pass: along each row, the envelope of x -> sx^2 (x - x')^2 + p2(x'), read back as the
//     distance (or phi) in float.
//
// Exactness: as in 2-D. For unit spacing every value is an exact integer in double (each side
// below 2^24, so D^2 + H^2 + W^2 < 2^53); the pop test compares exact values and the floor of an
// intersection inside the line is never moved by the quotient's rounding (docs/kernels/edt.md).
// The result is float(sqrt(d2)), the correctly rounded exact distance. A volume with D = 1
// gives the 2-D transform's floats bit for bit (the same operations in the same order), and so
// does a volume with W = 1 (the 2-D transform of its (D, H) plane).
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels/edt.cuh"
#include "kernels/edt3d_kernels.h"

namespace fbd::kernels {

FBD_HD double edt3d_infinity() { return std::numeric_limits<double>::infinity(); }

// ---- a generic 1-D lower envelope --------------------------------------------------------
// Parabolas i -> a (i - s)^2 + f(s), one per site s in [0, n) with finite f(s). F is a functor
// returning f(s) (+inf where s is no site), so the same envelope reads the z pass's integer codes
// (pass 2) and the y pass's doubles (pass 3), strided or not.

// Value at pixel x of the parabola of site s with height fs. With fs = edt_mul(sy2, h * h) this
// is edt_parabola's arithmetic exactly.
FBD_HD double edt3d_parabola(int32_t x, int32_t s, double fs, double a) {
  const double dx = double(x - s);
  return edt_add(edt_mul(a, dx * dx), fs);
}

// Last pixel at which site s is still no worse than a later site u > s: floor of the abscissa
// where the two parabolas meet (edt_separation's arithmetic, with the heights given).
FBD_HD int64_t edt3d_separation(int32_t s, double fs, int32_t u, double fu, double a) {
  const double ds = double(s), du = double(u);
  const double num = edt_add(edt_add(edt_mul(a, du * du), -edt_mul(a, ds * ds)), edt_add(fu, -fs));
  const double x = num / edt_mul(2.0 * a, du - ds);
  // Past the line on either side the value does not matter (the caller compares it with 0..n).
  if (x >= 2147483647.0) return 2147483647;
  if (x <= -2.0) return -2;
  int64_t f = int64_t(x);  // floor
  if (double(f) > x) --f;
  return f;
}

// Builds the envelope of one line of n sites: on return sites[0..k) with sites[j] minimal on
// pixels [starts[j], starts[j+1]); returns k (0: no site in the line).
template <class F>
FBD_HD int32_t edt3d_envelope(const F& f, int32_t n, double a, int32_t* sites, int32_t* starts) {
  int32_t k = 0;
  for (int32_t u = 0; u < n; ++u) {
    const double fu = f(u);
    if (!(fu < edt3d_infinity())) continue;
    // Pop every site that u beats already at the first pixel the site owns.
    while (k > 0) {
      const int32_t s = sites[k - 1], t = starts[k - 1];
      if (edt3d_parabola(t, s, f(s), a) > edt3d_parabola(t, u, fu, a))
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
    const int64_t w = 1 + edt3d_separation(sites[k - 1], f(sites[k - 1]), u, fu, a);
    if (w < n) {  // u owns [w, ...): push it (otherwise it never wins inside the line)
      sites[k] = u;
      starts[k] = int32_t(w);
      ++k;
    }
  }
  return k;
}

// ---- pass 2: y lines over the z pass's codes ---------------------------------------------
// The y pass's per-voxel double: the squared in-plane distance to the other label, signed by
// the voxel's own label (see the file comment).
FBD_HD double edt3d_plane_code(double p2, int label) { return label ? -p2 : p2; }
FBD_HD int edt3d_plane_label(double v) { return v < 0 ? 1 : 0; }
// Height of the parabola of site i for label `target` in pass 3: 0 where the voxel has that
// label, else its stored distance (+inf when none).
FBD_HD double edt3d_plane_height(double v, int target) {
  return edt3d_plane_label(v) == target ? 0.0 : (v < 0 ? -v : v);
}

// f of pass 2: sz^2 h^2 for the voxel i of a y line (codes `stride` apart), +inf when its z
// column has no voxel of label `target`.
struct Edt3dZHeights {
  const int32_t* code;
  int64_t stride;
  int target;
  double sz2;
  FBD_HD double operator()(int32_t i) const {
    const int32_t h = edt_height(code[i * stride], target);
    if (h == kEdtNoSite) return edt3d_infinity();
    const double dh = double(h);
    return edt_mul(sz2, dh * dh);
  }
};

// One y line of n voxels (`stride` apart): codes in, signed plane distances out.
// Distance mode: one envelope (label 0), read by the label-1 voxels; the zero voxels store +0
// (a site of their own for pass 3). Signed: the label-0 envelope is read by label-1 voxels, the
// label-1 envelope by label-0 voxels. No site in the line: +-inf (the voxel's plane has none).
FBD_HD void edt3d_line_y(const int32_t* code, double* p2, int32_t n, int64_t stride, EdtOutput mode, double sy2,
                         double sz2, int32_t* sites, int32_t* starts) {
  const int targets = mode == EdtOutput::Signed ? 2 : 1;
  for (int target = 0; target < targets; ++target) {
    const Edt3dZHeights f{code, stride, target, sz2};
    const int32_t k = edt3d_envelope(f, n, sy2, sites, starts);
    for (int32_t y = n - 1, j = k - 1; y >= 0; --y) {
      const int label = edt_label(code[y * stride]);
      if (label == target) {
        if (mode == EdtOutput::Distance) p2[y * stride] = 0.0;
        continue;
      }
      double d2 = edt3d_infinity();
      if (k > 0) {
        while (j > 0 && starts[j] > y) --j;
        d2 = edt3d_parabola(y, sites[j], f(sites[j]), sy2);
      }
      p2[y * stride] = edt3d_plane_code(d2, label);
    }
  }
}

// ---- pass 3: rows over the y pass's doubles ----------------------------------------------
struct Edt3dPlaneHeights {
  const double* p2;
  int target;
  FBD_HD double operator()(int32_t i) const { return edt3d_plane_height(p2[i], target); }
};

// One row of n voxels: signed plane distances in, distances (or phi) out, as edt_row does.
// An envelope with no site means the volume has no voxel of that label (every voxel of it
// would have made its row's p2 finite at its column).
FBD_HD void edt3d_row(const double* p2, float* out, int32_t n, EdtOutput mode, double sx2, int32_t* sites,
                      int32_t* starts) {
  const int targets = mode == EdtOutput::Signed ? 2 : 1;
  for (int target = 0; target < targets; ++target) {
    const Edt3dPlaneHeights f{p2, target};
    const int32_t k = edt3d_envelope(f, n, sx2, sites, starts);
    for (int32_t x = n - 1, j = k - 1; x >= 0; --x) {
      if (mode == EdtOutput::Signed && edt3d_plane_label(p2[x]) == target) continue;
      if (k == 0) {
        out[x] = mode == EdtOutput::Signed ? 0.0f : edt_infinity();
        continue;
      }
      while (j > 0 && starts[j] > x) --j;
      // In double up to the one rounding to float, as SciPy's float64 result rounded to float32.
      const double d = ::sqrt(edt3d_parabola(x, sites[j], f(sites[j]), sx2));
      out[x] = float(mode == EdtOutput::Signed && target == 0 ? 1.0 - d : d);
    }
  }
}

}  // namespace fbd::kernels
