// Shape-aware loss terms: compactness (paper Eq. 12) and the pieces of the smoothness term
// (Eq. 13-14). Formulas and gradients: shape_loss_kernels.h, shape_loss.cuh.
//
// Compactness. Forward: the image-chunk decomposition of image_sums.cuh; a thread takes a
// pixel, computes the sigmoid of it and of its lower and right neighbours, and adds p to A
// and the edge length s to P (reads 4 B/pixel from DRAM, the neighbours come from L1/L2);
// the last block finishes the per-image sums (its blocks-done counter sits in the workspace
// and is zeroed on the stream before the launch). Backward: one thread per pixel gathers the
// three edge terms it belongs to (compact_dP_gather: 7 sigmoids, neighbours from cache) and
// writes dz: 4 B read + 4 B written per pixel. The recomputed sigmoids are cheaper than a
// stored p map (which would add 8 B/pixel of traffic).
//
// Bands: one thread per pixel, 3x3 min and max (target only: computed once per target).
// Masked means: one block per (image, channel) plane sums T C, T B, C and B (block_sum, no
// atomics) and divides; 4 + 8 B/pixel. Backward: one thread per element, dT = gEc C / |C| +
// gEb B / |B|: 8 B read + 4 B written per element.
// Smoothness: v x v pairs of small embeddings: one block of 256 threads walks the phases of
// shape_loss.cuh between barriers (work O(v^2 D), a few microseconds at v = 16, D = 64).
#include "kernels/image_sums.cuh"
#include "kernels/shape_loss.cuh"

namespace fbd::kernels {
namespace {

__global__ void __launch_bounds__(kBlock)
    compact_forward_kernel(const float* __restrict__ z, int64_t N, int64_t H, int64_t W, int64_t B, int64_t chunk,
                           float o, float* partial, unsigned int* blocks_done, float* sums, float* value) {
  const int64_t HW = H * W;
  const int64_t n = blockIdx.x / B, b = blockIdx.x % B;
  const int64_t begin = b * chunk, end = min(HW, begin + chunk);
  const float* zi = z + n * HW;
  float acc[kCompactStats] = {0.0f, 0.0f, 0.0f, 0.0f};
  for (int64_t i = begin + threadIdx.x; i < end; i += kBlock) {
    const int64_t y = i / W, x = i - y * W;
    const float zc = zi[i];
    const float p = sigmoid_of(zc);
    acc[kCpArea] += p;
    acc[kCpBad] += not_finite(zc);
    if (y < H - 1 && x < W - 1) acc[kCpPerimeter] += compact_edge(p, sigmoid_of(zi[i + W]), sigmoid_of(zi[i + 1]), o).s;
  }
  block_sum<kCompactStats>(acc);
  if (threadIdx.x == 0) {
#pragma unroll
    for (int k = 0; k < kCompactStats; ++k) partial[int64_t(blockIdx.x) * kCompactStats + k] = acc[k];
  }
  if (!last_block(blocks_done, gridDim.x)) return;
  finish_image_sums(partial, sums, N, B, kCompactStats);
  const float v = block_sum_over_images(N, [&](int64_t i) { return compactness_image_term(sums, i, N); });
  if (threadIdx.x == 0) *value = v;
}

__global__ void __launch_bounds__(kBlock)
    compact_backward_kernel(const float* __restrict__ z, int64_t N, int64_t H, int64_t W, int64_t B, int64_t chunk,
                            float o, const float* __restrict__ sums, const float* __restrict__ grad_out,
                            float* __restrict__ dz) {
  const int64_t HW = H * W;
  const int64_t n = blockIdx.x / B, b = blockIdx.x % B;
  const int64_t begin = b * chunk, end = min(HW, begin + chunk);
  const float* zi = z + n * HW;
  const CompactCoef c = compact_coef(sums, n, N);
  const float go = *grad_out;
  for (int64_t i = begin + threadIdx.x; i < end; i += kBlock) {
    const int64_t y = i / W, x = i - y * W;
    float p, q;
    sigmoid_pq(zi[i], p, q);
    dz[n * HW + i] = go * compact_grad(compact_dP_gather(zi, y, x, H, W, o), p, q, c);
  }
}

__global__ void bands_kernel(const float* __restrict__ g, float* __restrict__ contour, float* __restrict__ background,
                             int64_t N, int64_t H, int64_t W) {
  const int64_t total = N * H * W, stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t x = i % W, y = (i / W) % H, n = i / (H * W);
    band_pixel(g + n * H * W, y, x, H, W, contour[i], background[i]);
  }
}

__global__ void __launch_bounds__(kBlock)
    masked_means_kernel(const float* __restrict__ T, const float* __restrict__ contour,
                        const float* __restrict__ background, int64_t C, int64_t HW, float* __restrict__ ec,
                        float* __restrict__ eb, float* __restrict__ counts) {
  const int64_t nc = blockIdx.x, n = nc / C;
  const float* t = T + nc * HW;
  const float* cb = contour + n * HW;
  const float* bb = background + n * HW;
  float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  for (int64_t i = threadIdx.x; i < HW; i += kBlock) {
    const float tv = t[i], cv = cb[i], bv = bb[i];
    acc[0] += tv * cv;
    acc[1] += tv * bv;
    acc[2] += cv;
    acc[3] += bv;
  }
  block_sum<4>(acc);
  if (threadIdx.x == 0) {
    ec[nc] = masked_mean(acc[0], acc[2]);
    eb[nc] = masked_mean(acc[1], acc[3]);
    if (nc % C == 0) {
      counts[n * 2] = acc[2];
      counts[n * 2 + 1] = acc[3];
    }
  }
}

__global__ void masked_means_backward_kernel(const float* __restrict__ contour, const float* __restrict__ background,
                                             const float* __restrict__ counts, const float* __restrict__ gec,
                                             const float* __restrict__ geb, int64_t N, int64_t C, int64_t HW,
                                             float* __restrict__ dT) {
  const int64_t total = N * C * HW, stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t nc = i / HW, n = nc / C, pix = i - nc * HW;
    dT[i] = gec[nc] * inverse_count(counts[n * 2]) * contour[n * HW + pix] +
            geb[nc] * inverse_count(counts[n * 2 + 1]) * background[n * HW + pix];
  }
}

__global__ void __launch_bounds__(kBlock)
    smooth_forward_kernel(const float* __restrict__ xc, const float* __restrict__ xb, int64_t N, int64_t D,
                          float margin, float* __restrict__ work, float* __restrict__ value) {
  const SmoothWork w = smooth_work(work, N, D);
  smooth_normalize(xc, xb, N, D, w, threadIdx.x, blockDim.x);
  __syncthreads();
  float acc[1] = {float(smooth_pairs(w, N, D, margin, threadIdx.x, blockDim.x))};
  block_sum<1>(acc);
  if (threadIdx.x == 0) *value = float(double(acc[0]) / (double(N) * double(N)));
}

__global__ void __launch_bounds__(kBlock)
    smooth_backward_kernel(const float* __restrict__ xc, const float* __restrict__ xb, int64_t N, int64_t D,
                           float margin, const float* __restrict__ grad_out, float* __restrict__ dxc,
                           float* __restrict__ dxb, float* __restrict__ work) {
  const SmoothWork w = smooth_work(work, N, D);
  smooth_normalize(xc, xb, N, D, w, threadIdx.x, blockDim.x);
  __syncthreads();
  smooth_pairs(w, N, D, margin, threadIdx.x, blockDim.x);
  __syncthreads();
  smooth_grad(w, N, D, margin, float(double(*grad_out) / (double(N) * double(N))), threadIdx.x, blockDim.x);
  __syncthreads();
  smooth_dots(w, N, D, threadIdx.x, blockDim.x);
  __syncthreads();
  smooth_unnormalize(w, N, D, dxc, dxb, threadIdx.x, blockDim.x);
}

}  // namespace

size_t compactness_workspace_bytes(int64_t N, int64_t HW) {
  const ImagePlan plan = image_plan(N, HW);
  return image_sums_workspace_bytes(N * plan.blocks_per_image, kCompactStats);
}

LaunchStatus compactness_forward_cuda(const float* z, int64_t N, int64_t H, int64_t W, float o, float* sums,
                                      float* value, void* workspace, Stream s) {
  if (N * H * W == 0) return {};
  const ImagePlan plan = image_plan(N, H * W);
  const ImageSumsWorkspace ws = image_sums_workspace(workspace);
  if (const LaunchStatus st = clear_counter(ws.counter, s); !st.ok()) return st;
  compact_forward_kernel<<<unsigned(N * plan.blocks_per_image), kBlock, 0, s>>>(
      z, N, H, W, plan.blocks_per_image, plan.chunk, o, ws.partial, ws.counter, sums, value);
  return {};
}

void compactness_backward_cuda(const float* z, int64_t N, int64_t H, int64_t W, float o, const float* sums,
                               const float* grad_out, float* dz, Stream s) {
  if (N * H * W == 0) return;
  const ImagePlan plan = image_plan(N, H * W);
  compact_backward_kernel<<<unsigned(N * plan.blocks_per_image), kBlock, 0, s>>>(z, N, H, W, plan.blocks_per_image,
                                                                                 plan.chunk, o, sums, grad_out, dz);
}

void contour_bands_cuda(const float* g, float* contour, float* background, int64_t N, int64_t H, int64_t W, Stream s) {
  if (N * H * W == 0) return;
  bands_kernel<<<grid_for(N * H * W), kBlock, 0, s>>>(g, contour, background, N, H, W);
}

void masked_means_forward_cuda(const float* T, const float* contour, const float* background, int64_t N, int64_t C,
                               int64_t HW, float* ec, float* eb, float* counts, Stream s) {
  if (N * C == 0) return;
  masked_means_kernel<<<unsigned(N * C), kBlock, 0, s>>>(T, contour, background, C, HW, ec, eb, counts);
}

void masked_means_backward_cuda(const float* contour, const float* background, const float* counts, const float* gec,
                                const float* geb, int64_t N, int64_t C, int64_t HW, float* dT, Stream s) {
  if (N * C * HW == 0) return;
  masked_means_backward_kernel<<<grid_for(N * C * HW), kBlock, 0, s>>>(contour, background, counts, gec, geb, N, C, HW,
                                                                       dT);
}

void smoothness_forward_cuda(const float* xc, const float* xb, int64_t N, int64_t D, float margin, float* value,
                             void* workspace, Stream s) {
  smooth_forward_kernel<<<1, kBlock, 0, s>>>(xc, xb, N, D, margin, static_cast<float*>(workspace), value);
}

void smoothness_backward_cuda(const float* xc, const float* xb, int64_t N, int64_t D, float margin,
                              const float* grad_out, float* dxc, float* dxb, void* workspace, Stream s) {
  smooth_backward_kernel<<<1, kBlock, 0, s>>>(xc, xb, N, D, margin, grad_out, dxc, dxb, static_cast<float*>(workspace));
}

}  // namespace fbd::kernels
