// Inverted dropout: keep element i with probability 1 - p, scaling kept values by 1/(1 - p):
//   y[i] = keep[i] ? x[i] / (1 - p) : 0,   gx[i] = keep[i] ? gy[i] / (1 - p) : 0
// keep[i] = (u_i >= p) with u_i the Philox uniform of element i (word i % 4 of counter block
// offset + i/4 under `seed`, kernels/philox.cuh), so the mask is the same on the CPU and CUDA
// for the same generator state, and a fill consumes ceil(n/4) blocks like any other.
//
// Read in this order:
//   1. kernels/dropout_kernels.h (this file): the entry points, CPU and CUDA
//   2. kernels/dropout.cuh: the per-element math both backends share
//   3. kernels/dropout_cpu.cpp: the CPU twin
//   4. kernels/dropout.cu: the CUDA kernels and how they split the work
//   5. layers/dropout.cpp: the op that calls them
#pragma once
#include <cstdint>

#include "kernels/common.h"

namespace fbd::kernels {

// Writes y and the 0/1 mask (for the backward).
void dropout_forward_cpu(const float* x, float* y, uint8_t* mask, int64_t n, float p, uint64_t seed, uint64_t offset);
void dropout_forward_cuda(const float* x, float* y, uint8_t* mask, int64_t n, float p, uint64_t seed, uint64_t offset,
                          Stream s);
void dropout_backward_cpu(const float* gy, const uint8_t* mask, float* gx, int64_t n, float scale);
void dropout_backward_cuda(const float* gy, const uint8_t* mask, float* gx, int64_t n, float scale, Stream s);

}  // namespace fbd::kernels
