// Bilinear resampling of `planes` = N*C planes from [H, W] to [Ho, Wo], as PyTorch's
// upsample_bilinear2d (F.interpolate(mode="bilinear")) defines it. Along each axis, output o
// reads the source coordinate
//   align_corners:  src = o * (in - 1) / (out - 1)               (0 when out == 1)
//   otherwise:      src = max((o + 0.5) * scale - 0.5, 0),  scale = 1/scale_factor if given, else in/out
// then i0 = floor(src), i1 = min(i0 + 1, in - 1), l1 = src - i0, l0 = 1 - l1, and
//   y = l0h (l0w x[i0h, i0w] + l1w x[i0h, i1w]) + l1h (l0w x[i1h, i0w] + l1w x[i1h, i1w]).
// The backward is a gather: each input row (column) sums the outputs whose i0 or i1 is it;
// those form one contiguous range of o (src grows with o), found by binary search.
//
// Read in this order:
//   1. kernels/upsample_kernels.h (this file): the entry points, CPU and CUDA
//   2. kernels/upsample.cuh: the per-element math both backends share
//   3. kernels/upsample_cpu.cpp: the CPU twin
//   4. kernels/upsample.cu: the CUDA kernels and how they split the work
//   5. layers/upsample.cpp: the op that calls them
#pragma once
#include "kernels/common.h"

namespace fbd::kernels {

struct UpsampleGeom {
  int64_t planes = 0, H = 0, W = 0, Ho = 0, Wo = 0;
  float scale_h = 0, scale_w = 0;  // the per-axis ratio of the formula above (see upsample_scale)
  bool align_corners = false;
};

// The ratio used by the source-index formula, exactly as PyTorch computes it in float:
// align_corners: (in-1)/(out-1) (0 when out == 1); else 1/scale_factor (when > 0) or in/out.
float upsample_scale(int64_t in, int64_t out, bool align_corners, double scale_factor /* <= 0: none */);

void upsample_bilinear_forward_cpu(const float* x, float* y, const UpsampleGeom& g);
void upsample_bilinear_forward_cuda(const float* x, float* y, const UpsampleGeom& g, Stream s);
void upsample_bilinear_backward_cpu(const float* gy, float* gx, const UpsampleGeom& g);
void upsample_bilinear_backward_cuda(const float* gy, float* gx, const UpsampleGeom& g, Stream s);

}  // namespace fbd::kernels
