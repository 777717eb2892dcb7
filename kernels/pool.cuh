// Per-output and per-input math of pooling (pool.h), shared by the CPU twin and CUDA.
//
//   max:  y = max_{window} x,           gx[i] = sum_{o : argmax(o) = i} gy[o]
//   avg:  y = sum_{window ∩ image} x / d(o),  gx[i] = sum_{o : i in window(o)} gy[o] / d(o)
//         d(o) = |window ∩ padded image| with count_include_pad, |window ∩ image| without.
#pragma once
#include <cmath>

#include "kernels/common.h"
#include "kernels/pool_kernels.h"

namespace fbd::kernels {

// The window of output o along one axis: [start, end) before clipping to the image, and the
// part [lo, hi) inside it; `padded` is the length of its part inside the padded image.
struct Window1d {
  int64_t lo, hi, padded;
};
FBD_HD Window1d pool_window(int64_t o, int64_t k, int64_t s, int64_t p, int64_t in) {
  const int64_t start = o * s - p;
  int64_t end = start + k;
  if (end > in + p) end = in + p;
  Window1d w;
  w.padded = end - start;
  w.lo = start < 0 ? 0 : start;
  w.hi = end > in ? in : end;
  return w;
}

// Outputs o in [first, last) whose window [o*s - p, o*s - p + k) contains input index i.
FBD_HD void pool_outputs_covering(int64_t i, int64_t k, int64_t s, int64_t p, int64_t out, int64_t& first,
                                  int64_t& last) {
  // o*s - p <= i  and  i < o*s - p + k   <=>   (i + p - k) / s < o <= (i + p) / s
  const int64_t a = i + p - k + 1;  // o*s >= a
  first = a <= 0 ? 0 : (a + s - 1) / s;
  last = (i + p) / s + 1;
  if (last > out) last = out;
  if (first > last) first = last;
}

FBD_HD float avg_divisor(const Window1d& wh, const Window1d& ww, bool count_include_pad) {
  return count_include_pad ? float(wh.padded * ww.padded) : float((wh.hi - wh.lo) * (ww.hi - ww.lo));
}

// Max over the window of output (oh, ow) of one plane; writes the argmax (h*W + w).
FBD_HD float max_pool_at(const float* x, int64_t oh, int64_t ow, const PoolGeom& g, int32_t& arg) {
  const Window1d wh = pool_window(oh, g.kh, g.sh, g.ph, g.H);
  const Window1d ww = pool_window(ow, g.kw, g.sw, g.pw, g.W);
  float best = -INFINITY;
  int64_t bi = wh.lo * g.W + ww.lo;
  for (int64_t h = wh.lo; h < wh.hi; ++h) {
    for (int64_t w = ww.lo; w < ww.hi; ++w) {
      const float v = x[h * g.W + w];
      if (v > best || v != v) {  // v != v: NaN
        best = v;
        bi = h * g.W + w;
      }
      if (best != best) break;
    }
    if (best != best) break;
  }
  arg = int32_t(bi);
  return best;
}

// Gradient of max pooling at input (h, w) of one plane.
FBD_HD float max_pool_grad_at(const float* gy, const int32_t* idx, int64_t h, int64_t w, const PoolGeom& g) {
  int64_t oh0, oh1, ow0, ow1;
  pool_outputs_covering(h, g.kh, g.sh, g.ph, g.Ho, oh0, oh1);
  pool_outputs_covering(w, g.kw, g.sw, g.pw, g.Wo, ow0, ow1);
  const int32_t me = int32_t(h * g.W + w);
  float acc = 0.0f;
  for (int64_t oh = oh0; oh < oh1; ++oh)
    for (int64_t ow = ow0; ow < ow1; ++ow)
      if (idx[oh * g.Wo + ow] == me) acc += gy[oh * g.Wo + ow];
  return acc;
}

// Average pooling, pass 1: horizontal window sum of row h at output column ow.
FBD_HD float avg_row_sum(const float* x, int64_t h, int64_t ow, const PoolGeom& g) {
  const Window1d ww = pool_window(ow, g.kw, g.sw, g.pw, g.W);
  float acc = 0.0f;
  for (int64_t w = ww.lo; w < ww.hi; ++w) acc += x[h * g.W + w];
  return acc;
}

// Pass 2: vertical window sum of the row sums t ([H, Wo]) at (oh, ow), divided.
FBD_HD float avg_col_sum(const float* t, int64_t oh, int64_t ow, const PoolGeom& g, bool cip) {
  const Window1d wh = pool_window(oh, g.kh, g.sh, g.ph, g.H);
  const Window1d ww = pool_window(ow, g.kw, g.sw, g.pw, g.W);
  float acc = 0.0f;
  for (int64_t h = wh.lo; h < wh.hi; ++h) acc += t[h * g.Wo + ow];
  return acc / avg_divisor(wh, ww, cip);
}

// Backward pass 1 (the adjoint of pass 2): u[h, ow] = sum_{oh covering h} gy[oh, ow] / d(oh, ow).
FBD_HD float avg_grad_col(const float* gy, int64_t h, int64_t ow, const PoolGeom& g, bool cip) {
  int64_t oh0, oh1;
  pool_outputs_covering(h, g.kh, g.sh, g.ph, g.Ho, oh0, oh1);
  const Window1d ww = pool_window(ow, g.kw, g.sw, g.pw, g.W);
  float acc = 0.0f;
  for (int64_t oh = oh0; oh < oh1; ++oh) {
    const Window1d wh = pool_window(oh, g.kh, g.sh, g.ph, g.H);
    acc += gy[oh * g.Wo + ow] / avg_divisor(wh, ww, cip);
  }
  return acc;
}

// Backward pass 2 (the adjoint of pass 1): gx[h, w] = sum_{ow covering w} u[h, ow].
FBD_HD float avg_grad_row(const float* u, int64_t h, int64_t w, const PoolGeom& g) {
  int64_t ow0, ow1;
  pool_outputs_covering(w, g.kw, g.sw, g.pw, g.Wo, ow0, ow1);
  float acc = 0.0f;
  for (int64_t ow = ow0; ow < ow1; ++ow) acc += u[h * g.Wo + ow];
  return acc;
}

}  // namespace fbd::kernels
