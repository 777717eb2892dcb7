// Per-position math of bilinear resampling (formulas in upsample.h), shared by both backends.
#pragma once
#include "kernels/common.h"
#include "kernels/upsample_kernels.h"

namespace fbd::kernels {

struct Lerp1d {
  int64_t i0, i1;
  float l0, l1;
};

// Source indices and weights of output o along an axis of `in` -> `out` samples.
FBD_HD Lerp1d lerp_source(int64_t o, int64_t in, int64_t out, float scale, bool align_corners) {
  Lerp1d r;
  if (in == out) {  // PyTorch's shortcut: the identity, whatever the scale
    r.i0 = r.i1 = o;
    r.l0 = 1.0f;
    r.l1 = 0.0f;
    return r;
  }
  float src;
  if (align_corners) {
    src = scale * float(o);
  } else {
    src = scale * (float(o) + 0.5f) - 0.5f;
    if (src < 0.0f) src = 0.0f;
  }
  r.i0 = int64_t(src);
  if (r.i0 > in - 1) r.i0 = in - 1;
  r.i1 = r.i0 + (r.i0 < in - 1 ? 1 : 0);
  float l1 = src - float(r.i0);
  l1 = l1 < 0.0f ? 0.0f : (l1 > 1.0f ? 1.0f : l1);
  r.l1 = l1;
  r.l0 = 1.0f - l1;
  return r;
}

FBD_HD float bilinear_at(const float* x, int64_t oh, int64_t ow, const UpsampleGeom& g) {
  const Lerp1d h = lerp_source(oh, g.H, g.Ho, g.scale_h, g.align_corners);
  const Lerp1d w = lerp_source(ow, g.W, g.Wo, g.scale_w, g.align_corners);
  const float* r0 = x + h.i0 * g.W;
  const float* r1 = x + h.i1 * g.W;
  return h.l0 * (w.l0 * r0[w.i0] + w.l1 * r0[w.i1]) + h.l1 * (w.l0 * r1[w.i0] + w.l1 * r1[w.i1]);
}

// Weight of input index i in output o along an axis (0 when o does not read i).
FBD_HD float lerp_weight(const Lerp1d& r, int64_t i) { return (r.i0 == i ? r.l0 : 0.0f) + (r.i1 == i ? r.l1 : 0.0f); }

// Outputs [first, last) along an axis that read input index i: those with i0(o) in {i-1, i}.
// i0 does not decrease with o, so each bound is a binary search over o.
FBD_HD void lerp_outputs_reading(int64_t i, int64_t in, int64_t out, float scale, bool ac, int64_t& first,
                                 int64_t& last) {
  // first o with i0(o) >= i - 1
  int64_t lo = 0, hi = out;
  while (lo < hi) {
    const int64_t mid = (lo + hi) / 2;
    if (lerp_source(mid, in, out, scale, ac).i0 >= i - 1)
      hi = mid;
    else
      lo = mid + 1;
  }
  first = lo;
  // first o with i0(o) > i
  hi = out;
  while (lo < hi) {
    const int64_t mid = (lo + hi) / 2;
    if (lerp_source(mid, in, out, scale, ac).i0 > i)
      hi = mid;
    else
      lo = mid + 1;
  }
  last = lo;
}

// Gradient at input (h, w) given the output ranges that read row h and column w.
FBD_HD float bilinear_grad_at(const float* gy, int64_t h, int64_t w, int64_t oh0, int64_t oh1, int64_t ow0, int64_t ow1,
                              const UpsampleGeom& g) {
  float acc = 0.0f;
  for (int64_t oh = oh0; oh < oh1; ++oh) {
    const float wh = lerp_weight(lerp_source(oh, g.H, g.Ho, g.scale_h, g.align_corners), h);
    if (wh == 0.0f) continue;
    float row = 0.0f;
    for (int64_t ow = ow0; ow < ow1; ++ow)
      row += lerp_weight(lerp_source(ow, g.W, g.Wo, g.scale_w, g.align_corners), w) * gy[oh * g.Wo + ow];
    acc += wh * row;
  }
  return acc;
}

}  // namespace fbd::kernels
