// 2-d max and average pooling over `planes` = N*C independent [H, W] planes, as PyTorch
// defines them (no dilation): output position (oh, ow) reads the window rows
// [oh*sh - ph, oh*sh - ph + kh) and columns [ow*sw - pw, ow*sw - pw + kw), clipped to the
// image. Padding counts as -inf for max and, with count_include_pad, as zeros for average
// (whose divisor is then the window size clipped to the padded image, PyTorch's rule). The
// output size comes in the geometry (Ho, Wo): with ceil_mode the op asks for one more window
// where PyTorch does, and that window, which may run past the right padding, is clipped the
// same way; the kernels need nothing else for it.
//
// Both backward passes are written as gathers (each input position sums the outputs whose
// window covers it), so they need no atomics and are deterministic on both backends.
//
// Read in this order:
//   1. kernels/pool_kernels.h (this file): the entry points, CPU and CUDA
//   2. kernels/pool.cuh: the per-element math both backends share
//   3. kernels/pool_cpu.cpp: the CPU twin
//   4. kernels/pool.cu: the CUDA kernels and how they split the work
//   5. layers/pool.cpp: the op that calls them
#pragma once
#include <cstddef>

#include "kernels/common.h"

namespace fbd::kernels {

struct PoolGeom {
  int64_t planes = 0, H = 0, W = 0, Ho = 0, Wo = 0;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0;
};

// y = max over the window; idx = argmax as h*W + w within the plane (the first maximum in
// row-major order; a NaN wins, so NaN propagates as in PyTorch).
void max_pool_forward_cpu(const float* x, float* y, int32_t* idx, const PoolGeom& g);
void max_pool_forward_cuda(const float* x, float* y, int32_t* idx, const PoolGeom& g, Stream s);
// gx[h, w] = sum of gy over the outputs whose argmax is (h, w).
void max_pool_backward_cpu(const float* gy, const int32_t* idx, float* gx, const PoolGeom& g);
void max_pool_backward_cuda(const float* gy, const int32_t* idx, float* gx, const PoolGeom& g, Stream s);

// Average pooling is separable: a horizontal window sum into a [planes, H, Wo] workspace,
// then a vertical one, divided by the window's divisor. This costs kh + kw adds per output
// instead of kh*kw (the 31 x 31 window of the structure loss: 62 instead of 961).
size_t avg_pool_workspace_bytes(const PoolGeom& g);
void avg_pool_forward_cpu(const float* x, float* y, const PoolGeom& g, bool count_include_pad, float* workspace);
void avg_pool_forward_cuda(const float* x, float* y, const PoolGeom& g, bool count_include_pad, float* workspace,
                           Stream s);
void avg_pool_backward_cpu(const float* gy, float* gx, const PoolGeom& g, bool count_include_pad, float* workspace);
void avg_pool_backward_cuda(const float* gy, float* gx, const PoolGeom& g, bool count_include_pad, float* workspace,
                            Stream s);

}  // namespace fbd::kernels
