// Direct 3x3 convolution on the CPU (stride 1, dilation 1), the fast path of Conv2d for the
// large feature maps of the paper's network, where im2col + GEMM is bound by memory: with
// few output channels every im2col element feeds only 2*K flops, and OpenBLAS's packing of
// that matrix costs as much as the product.
//
// The input is copied once into a zero-padded buffer [N, C, Hp, Wp] (Hp = Ho + 2,
// Wp = round_up(Wo, 16) + 2), so that output row oh, columns [ow, ow + 16) of tap (ky, kx)
// read the 16 contiguous floats at row oh + ky, column ow + kx: no im2col, no branches. A
// register tile holds KB = 8 output channels x 16 or 32 columns; per tap it loads one or two
// input vectors and broadcasts KB weights (packed [block][C][3][3][KB]), so each load feeds
// 8-16 FMAs and the loop runs near the FMA rate from L1/L2.
//   forward:         y = conv(x, w) + b
//   backward data:   dx = conv(dy padded by 2 - p, w transposed and flipped) (stride 1 only)
//   backward filter: dw[k, c, ky, kx] = sum over n, oh, ow of dy[n, k, oh, ow] xp[n, c, oh + ky, ow + kx],
//                    KB x 3 vector accumulators per (channel block, c, ky), summed across lanes at the end
// Every output element is computed by one thread in a fixed order (work is split over samples,
// channel blocks and rows), so results do not depend on the thread count.
//
// Read in this order:
//   1. kernels/conv_direct_kernels.h (this file): the entry points
//   2. kernels/conv_direct_cpu.cpp: the CPU twin
//   3. layers/conv_cpu.cpp: the op that calls them
#pragma once
#include <cstddef>

#include "kernels/im2col_kernels.h"

namespace fbd::kernels {

// True when the direct path handles this geometry: 3x3, stride 1, dilation 1, padding <= 2,
// and an output at least 16 columns wide (narrower maps waste most of each 16-lane vector).
bool conv_direct_applicable(const ConvGeom& g);
// Where it is also the faster choice (measured on the paper network's shapes, bench/README.md):
// forward and input gradient need at least 4 output channels of their own (a block of 8 with
// fewer mostly computes zeros); the weight gradient needs maps at least 32 wide (a 24-wide map
// wastes a third of its second vector, and im2col + GEMM is quicker there).
bool conv_direct_forward_preferred(int64_t K, const ConvGeom& g);
bool conv_direct_backward_data_preferred(int64_t K, const ConvGeom& g);
bool conv_direct_backward_filter_preferred(int64_t K, const ConvGeom& g);

// Scratch floats each direction needs (padded copies and packed weights).
size_t conv_direct_forward_workspace(int64_t N, int64_t K, const ConvGeom& g);
size_t conv_direct_backward_data_workspace(int64_t N, int64_t K, const ConvGeom& g);
size_t conv_direct_backward_filter_workspace(int64_t N, int64_t K, const ConvGeom& g);

// x [N, C, H, W], w [K, C, 3, 3], bias [K] or null, y [N, K, Ho, Wo].
void conv_direct_forward_cpu(const float* x, const float* w, const float* bias, float* y, int64_t N, int64_t K,
                             const ConvGeom& g, float* workspace);
// dx [N, C, H, W] from dy [N, K, Ho, Wo] (overwritten).
void conv_direct_backward_data_cpu(const float* dy, const float* w, float* dx, int64_t N, int64_t K, const ConvGeom& g,
                                   float* workspace);
// dw [K, C, 3, 3] (overwritten).
void conv_direct_backward_filter_cpu(const float* x, const float* dy, float* dw, int64_t N, int64_t K,
                                     const ConvGeom& g, float* workspace);

}  // namespace fbd::kernels
