// Index math of im2col / col2im, shared by any backend: for kernel tap k along one axis, the
// range of output positions o in [0, out) whose input index o*stride - pad + k*dil lies in
// [0, in). Outside it the column entry is padding.
#pragma once
#include "kernels/common.h"

namespace fbd::kernels {

// First o with o*s - p + k*d >= 0, and one past the last o with o*s - p + k*d < in.
FBD_HD void conv_valid_range(int64_t k, int64_t s, int64_t p, int64_t d, int64_t in, int64_t out, int64_t& lo,
                             int64_t& hi) {
  const int64_t off = k * d - p;  // input index of o = 0
  // o*s + off >= 0  <=>  o >= ceil(-off / s)
  lo = off >= 0 ? 0 : (-off + s - 1) / s;
  // o*s + off <= in - 1  <=>  o <= floor((in - 1 - off) / s)
  hi = in - 1 - off < 0 ? 0 : (in - 1 - off) / s + 1;
  if (lo > out) lo = out;
  if (hi > out) hi = out;
  if (hi < lo) hi = lo;
}

}  // namespace fbd::kernels
