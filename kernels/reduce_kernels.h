// Sum reduction over the middle axis of a contiguous [outer, R, inner] view:
//   out[o, i] = scale * sum_r in[o, r, i]
// Any set of reduced axes of an N-d tensor becomes one or more such calls (core/ops_reduce.cpp).
// Both backends are deterministic: no atomics, fixed split points that depend only on the
// shape (and, on CUDA, on the device's SM count), so the same input gives the same bits.
//
// Read in this order:
//   1. kernels/reduce_kernels.h (this file): the entry points, CPU and CUDA
//   2. kernels/reduce_cpu.cpp: the CPU twin
//   3. kernels/reduce.cu: the CUDA kernels and how they split the work
//   4. core/ops_reduce.cpp: the op that calls them
#pragma once
#include <cstddef>

#include "kernels/common.h"

namespace fbd::kernels {

void reduce_sum_cpu(const float* in, float* out, int64_t outer, int64_t R, int64_t inner, float scale);

// Scratch space reduce_sum_cuda needs for its partial sums (0 when one pass suffices). The
// status reports the cudaMemsetAsync that writes the zeros of an empty sum (R == 0).
size_t reduce_sum_workspace_bytes(int64_t outer, int64_t R, int64_t inner);
LaunchStatus reduce_sum_cuda(const float* in, float* out, int64_t outer, int64_t R, int64_t inner, float scale,
                             void* workspace, Stream s);

}  // namespace fbd::kernels
