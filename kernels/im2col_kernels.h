// im2col / col2im: the data movement that turns a convolution into one GEMM on the CPU
// (cuDNN does the GPU side, layers/conv_cudnn.cpp).
//
// For a convolution with input [C, H, W] (per sample), kernel kh x kw, stride, padding and
// dilation, the column matrix of nb samples is [C*kh*kw, nb*Ho*Wo]:
//   col[(c*kh + ky)*kw + kx][n*Ho*Wo + oh*Wo + ow] = x[n][c][oh*sh - ph + ky*dh][ow*sw - pw + kx*dw]
// (0 where the index falls in the padding). The convolution is then Y = W col with W the
// [K, C*kh*kw] filter matrix; col2im is the adjoint (sums every column entry back into the
// input position it was read from), used by the input gradient and by ConvTranspose2d.
//
// Read in this order:
//   1. kernels/im2col_kernels.h (this file): the entry points
//   2. kernels/im2col.cuh: the per-element math both backends share
//   3. kernels/im2col_cpu.cpp: the CPU twin
//   4. layers/conv_cpu.cpp: the op that calls them
//   5. layers/conv_cudnn.cpp: the op that calls them
#pragma once
#include "kernels/common.h"

namespace fbd::kernels {

// Geometry of one 2-d convolution, from its input [C, H, W] to its output [Ho, Wo].
struct ConvGeom {
  int64_t C = 0, H = 0, W = 0;
  int64_t Ho = 0, Wo = 0;
  int64_t kh = 1, kw = 1;
  int64_t sh = 1, sw = 1;
  int64_t ph = 0, pw = 0;
  int64_t dh = 1, dw = 1;
  int64_t rows() const { return C * kh * kw; }  // rows of the column matrix
  int64_t plane_out() const { return Ho * Wo; }
  int64_t plane_in() const { return H * W; }
};

// col ([C*kh*kw, nb*Ho*Wo]) from nb consecutive samples x ([nb, C, H, W]). OpenMP over rows
// when the work is large and the caller is not inside a parallel region (active or not).
void im2col_cpu(const float* x, float* col, int64_t nb, const ConvGeom& g);

// x ([nb, C, H, W]) = col2im(col): overwrites x with the sum of the column entries that read
// each position (0 where none did). Parallel over the nb*C planes, each summed by one thread
// in a fixed order, so the result does not depend on the thread count.
void col2im_cpu(const float* col, float* x, int64_t nb, const ConvGeom& g);

}  // namespace fbd::kernels
