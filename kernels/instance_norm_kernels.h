// Instance normalisation over x [N, C, HW]: every (n, c) plane of M = HW values is normalised by
// its own mean and biased variance (PyTorch's F.instance_norm without running statistics):
//   mean = sum x / M,  var = sum (x - mean)^2 / M,  invstd = 1 / sqrt(var + eps)
//   y = (x - mean) invstd gamma_c + beta_c
// Backward, with xhat = (x - mean) invstd and the plane sums S1 = sum gy, S2 = sum gy xhat:
//   dx = gamma_c invstd (gy - S1 / M - xhat S2 / M)
//   dgamma_c = sum over n of S2,  dbeta_c = sum over n of S1   (the op adds the plane sums)
// The statistics are sums of d = x - x0 and d^2 with x0 the plane's first value (a shift that
// keeps sum d^2 - (sum d)^2 / M from cancelling when the mean is large against the spread);
// mean = x0 + sum d / M, var = max(sum d^2 / M - (sum d / M)^2, 0), in double.
//
// Planes are summed with the loss families' deterministic per-image scaffolding, the planes
// playing the images (CPU: kernels/image_sums_cpu.h; CUDA: kernels/image_sums.cuh, no float
// atomics), so results do not depend on the thread count and repeat bit for bit on one GPU.
//
// Read in this order:
//   1. kernels/instance_norm_kernels.h (this file): the entry points, CPU and CUDA
//   2. kernels/instance_norm.cuh: the per-element math both backends share
//   3. kernels/instance_norm_cpu.cpp: the CPU twin
//   4. kernels/instance_norm.cu: the CUDA kernels and how they split the work
//   5. layers/instance_norm.cpp: the op that calls them
#pragma once
#include <cstddef>

#include "kernels/common.h"

namespace fbd::kernels {

struct InstanceNormGeom {
  int64_t N = 0, C = 0, HW = 0;
  FBD_HD int64_t planes() const { return N * C; }
};

// Forward: mean and invstd per plane ([N*C] each, kept for the backward) and y. gamma and beta
// are [C] or null (1 and 0).
void instance_norm_forward_cpu(const float* x, float* y, const InstanceNormGeom& g, float eps, const float* gamma,
                               const float* beta, float* mean, float* invstd);
// Backward: dx, and sums[2p] = S1, sums[2p + 1] = S2 of plane p, then one last row of 2 with
// the sums over all planes ((planes + 1) * 2 floats).
void instance_norm_backward_cpu(const float* x, const float* gy, const InstanceNormGeom& g, const float* gamma,
                                const float* mean, const float* invstd, float* dx, float* sums);

// CUDA: each pass is a reduction launch (the last block finishes the plane sums; its counter
// and partial sums live in the workspace, the counter zeroed on stream s before the launch)
// followed by an elementwise launch. The status reports the memsets.
size_t instance_norm_workspace_bytes(const InstanceNormGeom& g);
LaunchStatus instance_norm_forward_cuda(const float* x, float* y, const InstanceNormGeom& g, float eps,
                                        const float* gamma, const float* beta, float* mean, float* invstd,
                                        void* workspace, Stream s);
LaunchStatus instance_norm_backward_cuda(const float* x, const float* gy, const InstanceNormGeom& g, const float* gamma,
                                         const float* mean, const float* invstd, float* dx, float* sums,
                                         void* workspace, Stream s);

}  // namespace fbd::kernels
