// Activations that core's elementwise family does not have (ReLU and sigmoid are there):
//   LeakyReLU:  y = x > 0 ? x : a x,   gx = x > 0 ? gy : a gy    (PyTorch's convention at 0)
//
// Read in this order:
//   1. kernels/activation_kernels.h (this file): the entry points, CPU and CUDA
//   2. kernels/activation.cuh: the per-element math both backends share
//   3. kernels/activation_cpu.cpp: the CPU twin
//   4. kernels/activation.cu: the CUDA kernels and how they split the work
//   5. layers/activation.cpp: the op that calls them
#pragma once
#include "kernels/common.h"

namespace fbd::kernels {

void leaky_relu_forward_cpu(const float* x, float* y, int64_t n, float slope);
void leaky_relu_forward_cuda(const float* x, float* y, int64_t n, float slope, Stream s);
void leaky_relu_backward_cpu(const float* x, const float* gy, float* gx, int64_t n, float slope);
void leaky_relu_backward_cuda(const float* x, const float* gy, float* gx, int64_t n, float slope, Stream s);

}  // namespace fbd::kernels
