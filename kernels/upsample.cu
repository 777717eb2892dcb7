// Bilinear resampling on CUDA. Math: upsample.cuh (shared with upsample_cpu.cpp).
//
// Threads: forward, one thread per output element (4 reads, mostly from L1/L2 since
// neighbouring threads read neighbouring inputs). Backward, one thread per input element: it
// finds the range of output rows and columns that read it by binary search (log2(Ho) +
// log2(Wo) steps) and sums their weighted gradients, a gather with no atomics, so the result
// is deterministic (PyTorch scatters with atomicAdd).
// Bound: memory; forward moves 4 bytes per output plus the input once, backward reads each
// output gradient about (out/in)^2 times from cache.
#include "kernels/launch.cuh"
#include "kernels/upsample.cuh"

namespace fbd::kernels {
namespace {

__global__ void bilinear_fwd_kernel(const float* __restrict__ x, float* __restrict__ y, UpsampleGeom g, int64_t total) {
  const int64_t out = g.Ho * g.Wo;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t p = i / out, r = i % out;
    y[i] = bilinear_at(x + p * g.H * g.W, r / g.Wo, r % g.Wo, g);
  }
}

__global__ void bilinear_bwd_kernel(const float* __restrict__ gy, float* __restrict__ gx, UpsampleGeom g,
                                    int64_t total) {
  const int64_t in = g.H * g.W, out = g.Ho * g.Wo;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t p = i / in, r = i % in, h = r / g.W, w = r % g.W;
    int64_t oh0, oh1, ow0, ow1;
    lerp_outputs_reading(h, g.H, g.Ho, g.scale_h, g.align_corners, oh0, oh1);
    lerp_outputs_reading(w, g.W, g.Wo, g.scale_w, g.align_corners, ow0, ow1);
    gx[i] = bilinear_grad_at(gy + p * out, h, w, oh0, oh1, ow0, ow1, g);
  }
}

}  // namespace

void upsample_bilinear_forward_cuda(const float* x, float* y, const UpsampleGeom& g, Stream s) {
  const int64_t total = g.planes * g.Ho * g.Wo;
  if (total == 0) return;
  bilinear_fwd_kernel<<<grid_for(total), kBlock, 0, s>>>(x, y, g, total);
}

void upsample_bilinear_backward_cuda(const float* gy, float* gx, const UpsampleGeom& g, Stream s) {
  const int64_t total = g.planes * g.H * g.W;
  if (total == 0) return;
  bilinear_bwd_kernel<<<grid_for(total), kBlock, 0, s>>>(gy, gx, g, total);
}

}  // namespace fbd::kernels
