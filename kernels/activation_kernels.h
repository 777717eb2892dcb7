// Activations that core's elementwise family does not have (ReLU, sigmoid and tanh are there):
//   LeakyReLU:  y = x > 0 ? x : a x,   gx = x > 0 ? gy : a gy    (PyTorch's convention at 0)
//   PReLU:      the same with a learned slope a_c per channel c (or one for all), and its gradient
//               ga_c = sum over the elements of channel c of (x > 0 ? 0 : x gy)
//
// PReLU sees x as [outer, C, inner] (x [N, C, H, W]: outer N, inner H*W) and its planes as the
// outer * C runs of `inner` elements. The slope gradient is summed per plane in a fixed order
// (CPU: kernels/image_sums_cpu.h; CUDA: kernels/image_sums.cuh, no float atomics), plus a last
// row over all planes; the op adds the plane sums of a channel over n (core's sum), so the
// result is deterministic on both devices.
//
// Read in this order:
//   1. kernels/activation_kernels.h (this file): the entry points, CPU and CUDA
//   2. kernels/activation.cuh: the per-element math both backends share
//   3. kernels/activation_cpu.cpp: the CPU twin
//   4. kernels/activation.cu: the CUDA kernels and how they split the work
//   5. layers/activation.cpp: the op that calls them
#pragma once
#include <cstddef>

#include "kernels/common.h"

namespace fbd::kernels {

void leaky_relu_forward_cpu(const float* x, float* y, int64_t n, float slope);
void leaky_relu_forward_cuda(const float* x, float* y, int64_t n, float slope, Stream s);
void leaky_relu_backward_cpu(const float* x, const float* gy, float* gx, int64_t n, float slope);
void leaky_relu_backward_cuda(const float* x, const float* gy, float* gx, int64_t n, float slope, Stream s);

struct PreluGeom {
  int64_t outer = 1, channels = 1, inner = 1;
  bool per_channel = false;  // slopes a[0..channels) (false: one slope a[0] for every element)
  FBD_HD int64_t planes() const { return outer * channels; }
  FBD_HD int64_t numel() const { return outer * channels * inner; }
};

void prelu_forward_cpu(const float* x, const float* a, float* y, const PreluGeom& g);
void prelu_forward_cuda(const float* x, const float* a, float* y, const PreluGeom& g, Stream s);
// gx, and plane_sums[p] = sum over plane p = n * C + c of (x > 0 ? 0 : x gy) for p < planes,
// then plane_sums[planes] = the sum over all planes (planes + 1 floats).
void prelu_backward_cpu(const float* x, const float* a, const float* gy, float* gx, float* plane_sums,
                        const PreluGeom& g);
// CUDA: the workspace holds the per-block partial sums and the blocks-done counter of the
// last-block reduction (zeroed on stream s before the launch; the status reports that memset).
size_t prelu_backward_workspace_bytes(const PreluGeom& g);
LaunchStatus prelu_backward_cuda(const float* x, const float* a, const float* gy, float* gx, float* plane_sums,
                                 const PreluGeom& g, void* workspace, Stream s);

}  // namespace fbd::kernels
