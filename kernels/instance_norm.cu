// Instance normalisation on CUDA. Formulas: instance_norm_kernels.h; math: instance_norm.cuh.
//
// Threads: each pass is two launches.
//  1. A reduction over the planes with the image-chunk decomposition of image_sums.cuh (the
//     N*C planes play the images): block (p, b) walks chunk b of plane p with a thread per
//     value (coalesced), accumulates two sums in registers (forward: d = x - x0 and d^2;
//     backward: gy and gy xhat), adds them over the block in a fixed order and writes one
//     partial pair; the last block to finish adds each plane's partials in block order, in
//     double (finish_image_sums) and, in the forward, turns them into mean and invstd per plane.
//     No float atomics: results repeat bit for bit on the same GPU.
//  2. An elementwise grid-stride launch: y (forward) or dx (backward) from the plane's
//     statistics and sums, one element per iteration.
// Bound: memory. Forward: x read twice, y written (12 bytes per element); backward: x and gy
// read twice, dx written (20 bytes per element). The statistics are a few flops per element.
#include "kernels/image_sums.cuh"
#include "kernels/instance_norm.cuh"
#include "kernels/instance_norm_kernels.h"
#include "kernels/launch.cuh"

namespace fbd::kernels {
namespace {

__global__ void __launch_bounds__(kBlock)
    in_stats_kernel(const float* __restrict__ x, int64_t P, int64_t M, int64_t B, int64_t chunk, float eps,
                    float* partial, unsigned int* blocks_done, float* sums, float* mean, float* invstd) {
  const int64_t p = blockIdx.x / B, b = blockIdx.x % B;
  const int64_t begin = b * chunk, end = min(M, begin + chunk);
  const float* xp = x + p * M;
  const float x0 = xp[0];
  float acc[2] = {0.0f, 0.0f};
  for (int64_t i = begin + threadIdx.x; i < end; i += kBlock) {
    const float d = xp[i] - x0;
    acc[0] += d;
    acc[1] += d * d;
  }
  block_sum<2>(acc);
  if (threadIdx.x == 0) {
    partial[2 * int64_t(blockIdx.x)] = acc[0];
    partial[2 * int64_t(blockIdx.x) + 1] = acc[1];
  }
  if (!last_block(blocks_done, gridDim.x)) return;
  finish_image_sums(partial, sums, P, B, 2);
  for (int64_t q = threadIdx.x; q < P; q += blockDim.x) {
    const PlaneStats st = instance_norm_stats(double(sums[2 * q]), double(sums[2 * q + 1]), x[q * M], M, eps);
    mean[q] = st.mean;
    invstd[q] = st.invstd;
  }
}

__global__ void in_apply_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t C, int64_t M, int64_t n,
                                const float* __restrict__ gamma, const float* __restrict__ beta,
                                const float* __restrict__ mean, const float* __restrict__ invstd) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t p = i / M, c = p % C;
    const float scale = (gamma ? gamma[c] : 1.0f) * invstd[p];
    y[i] = instance_norm_apply(x[i], mean[p], scale, beta ? beta[c] : 0.0f);
  }
}

__global__ void __launch_bounds__(kBlock)
    in_grad_sums_kernel(const float* __restrict__ x, const float* __restrict__ gy, int64_t P, int64_t M, int64_t B,
                        int64_t chunk, const float* __restrict__ mean, const float* __restrict__ invstd, float* partial,
                        unsigned int* blocks_done, float* sums) {
  const int64_t p = blockIdx.x / B, b = blockIdx.x % B;
  const int64_t begin = b * chunk, end = min(M, begin + chunk);
  const float* xp = x + p * M;
  const float* gp = gy + p * M;
  const float m = mean[p], is = invstd[p];
  float acc[2] = {0.0f, 0.0f};
  for (int64_t i = begin + threadIdx.x; i < end; i += kBlock) {
    const float g = gp[i];
    acc[0] += g;
    acc[1] += g * instance_norm_xhat(xp[i], m, is);
  }
  block_sum<2>(acc);
  if (threadIdx.x == 0) {
    partial[2 * int64_t(blockIdx.x)] = acc[0];
    partial[2 * int64_t(blockIdx.x) + 1] = acc[1];
  }
  if (last_block(blocks_done, gridDim.x)) finish_image_sums(partial, sums, P, B, 2);
}

__global__ void in_dx_kernel(const float* __restrict__ x, const float* __restrict__ gy, float* __restrict__ dx,
                             int64_t C, int64_t M, int64_t n, const float* __restrict__ gamma,
                             const float* __restrict__ mean, const float* __restrict__ invstd,
                             const float* __restrict__ sums) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t p = i / M;
    const float is = invstd[p];
    const float k = (gamma ? gamma[p % C] : 1.0f) * is;
    const float a = float(double(sums[2 * p]) / double(M)), b = float(double(sums[2 * p + 1]) / double(M));
    dx[i] = instance_norm_dx(gy[i], instance_norm_xhat(x[i], mean[p], is), k, a, b);
  }
}

// The workspace: [counter | partials, blocks x 2 | (forward) the plane sums, (P + 1) x 2].
struct InWorkspace {
  ImageSumsWorkspace sums;
  float* plane_sums;
};
InWorkspace in_workspace(void* workspace, int64_t blocks) {
  const ImageSumsWorkspace ws = image_sums_workspace(workspace);
  return {ws, ws.partial + 2 * blocks};
}

}  // namespace

size_t instance_norm_workspace_bytes(const InstanceNormGeom& g) {
  const ImagePlan plan = image_plan(g.planes(), g.HW);
  return image_sums_workspace_bytes(g.planes() * plan.blocks_per_image, 2) + size_t(2 * (g.planes() + 1)) * 4;
}

LaunchStatus instance_norm_forward_cuda(const float* x, float* y, const InstanceNormGeom& g, float eps,
                                        const float* gamma, const float* beta, float* mean, float* invstd,
                                        void* workspace, Stream s) {
  const int64_t P = g.planes(), M = g.HW, n = P * M;
  if (n == 0) return {};
  const ImagePlan plan = image_plan(P, M);
  const int64_t blocks = P * plan.blocks_per_image;
  const InWorkspace ws = in_workspace(workspace, blocks);
  if (const LaunchStatus st = clear_counter(ws.sums.counter, s); !st.ok()) return st;
  in_stats_kernel<<<unsigned(blocks), kBlock, 0, s>>>(x, P, M, plan.blocks_per_image, plan.chunk, eps, ws.sums.partial,
                                                      ws.sums.counter, ws.plane_sums, mean, invstd);
  in_apply_kernel<<<grid_for(n), kBlock, 0, s>>>(x, y, g.C, M, n, gamma, beta, mean, invstd);
  return {};
}

LaunchStatus instance_norm_backward_cuda(const float* x, const float* gy, const InstanceNormGeom& g, const float* gamma,
                                         const float* mean, const float* invstd, float* dx, float* sums,
                                         void* workspace, Stream s) {
  const int64_t P = g.planes(), M = g.HW, n = P * M;
  if (n == 0) return {};
  const ImagePlan plan = image_plan(P, M);
  const int64_t blocks = P * plan.blocks_per_image;
  const InWorkspace ws = in_workspace(workspace, blocks);
  if (const LaunchStatus st = clear_counter(ws.sums.counter, s); !st.ok()) return st;
  in_grad_sums_kernel<<<unsigned(blocks), kBlock, 0, s>>>(x, gy, P, M, plan.blocks_per_image, plan.chunk, mean, invstd,
                                                          ws.sums.partial, ws.sums.counter, sums);
  in_dx_kernel<<<grid_for(n), kBlock, 0, s>>>(x, gy, dx, g.C, M, n, gamma, mean, invstd, sums);
  return {};
}

}  // namespace fbd::kernels
