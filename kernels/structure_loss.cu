// Structure loss (weighted BCE + weighted IoU, paper Eq. 5-7), the BCE-based boundary loss
// (Eq. 8-10) and their weight map. Formulas and gradients: structure_loss_kernels.h, structure_loss.cuh.
//
// Weight map (a function of the target only: compute it once per target). Two kernels:
//   rows: one block per 256-pixel segment of a row loads the segment and its 2r halo into
//         shared memory; each thread adds its 2r+1 neighbours (31 for the paper's r = 15).
//   cols: one thread per pixel adds the 2r+1 row sums above and below it (neighbouring threads
//         read neighbouring addresses; the reuse across rows is served by L1/L2) and writes w.
// Bytes: read g (4) + write and read the row sums (8) + write w (4) + read g again (4) = 20 B
// per pixel, plus the cached re-reads. Window sums of a binary mask are integers, exact in
// float in any order: this kernel and the CPU's running sums agree exactly (the final
// 1 + 5 |m - g| may differ by the rounding of an FMA that nvcc, or g++ with -march=native,
// contracts and the other does not).
//
// Loss. The same two-pass schedule as binary_loss.cu: the forward reads z, g, w (and phi for the
// boundary variant), 12-16 B/pixel, and reduces 7 sums per image (last block finishes; the
// blocks-done counter sits in the workspace and is zeroed on the stream first); the
// backward reads them again and writes dz: 28-36 B/pixel in all. Two passes are needed
// because the wIoU and wBCE gradients of a pixel divide by sums over its whole image.
#include "kernels/image_sums.cuh"
#include "kernels/structure_loss.cuh"

namespace fbd::kernels {
namespace {

constexpr int kMaxRadius = kStructureMaxRadius;
__global__ void __launch_bounds__(kBlock)
    window_rows_kernel(const float* __restrict__ g, float* __restrict__ rows, int64_t rows_total, int64_t W, int radius,
                       int64_t segments) {
  __shared__ float tile[kBlock + 2 * kMaxRadius];
  const int64_t row = blockIdx.x / segments, x0 = (blockIdx.x % segments) * kBlock;
  const float* in = g + row * W;
  for (int t = threadIdx.x; t < kBlock + 2 * radius; t += kBlock) {
    const int64_t x = x0 - radius + t;
    tile[t] = (x >= 0 && x < W) ? in[x] : 0.0f;
  }
  __syncthreads();
  const int64_t x = x0 + threadIdx.x;
  if (x < W) {
    float s = 0.0f;
    for (int k = 0; k <= 2 * radius; ++k) s += tile[threadIdx.x + k];
    rows[row * W + x] = s;
  }
  (void)rows_total;
}

__global__ void window_cols_kernel(const float* __restrict__ g, const float* __restrict__ rows, float* __restrict__ w,
                                   int64_t N, int64_t H, int64_t W, int radius, float scale) {
  const int64_t total = N * H * W, stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t x = i % W, y = (i / W) % H, n = i / (H * W);
    const int64_t y0 = max(int64_t(0), y - radius), y1 = min(H - 1, y + int64_t(radius));
    float s = 0.0f;
    for (int64_t yy = y0; yy <= y1; ++yy) s += rows[(n * H + yy) * W + x];
    w[i] = structure_weight_of(s, g[i], radius, scale);
  }
}

template <bool BD>
__global__ void __launch_bounds__(kBlock)
    structure_forward_kernel(const float* __restrict__ z, const float* __restrict__ g, const float* __restrict__ w,
                             const float* __restrict__ phi, int64_t N, int64_t HW, int64_t B, int64_t chunk,
                             StructureParams prm, float* partial, unsigned int* blocks_done, float* sums,
                             float* value) {
  const int64_t n = blockIdx.x / B, b = blockIdx.x % B;
  const int64_t begin = b * chunk, end = min(HW, begin + chunk);
  const int64_t base = n * HW;
  float acc[kStructStats];
#pragma unroll
  for (int k = 0; k < kStructStats; ++k) acc[k] = 0.0f;
  for (int64_t i = base + begin + threadIdx.x; i < base + end; i += kBlock) {
    const StructPixelStats s = structure_pixel_forward<BD>(z[i], g[i], w[i], BD ? phi[i] : 0.0f);
    for_struct_stats(s, [&](int k, float v) { acc[k] += v; });
  }
  block_sum<kStructStats>(acc);
  if (threadIdx.x == 0) {
#pragma unroll
    for (int k = 0; k < kStructStats; ++k) partial[int64_t(blockIdx.x) * kStructStats + k] = acc[k];
  }
  if (!last_block(blocks_done, gridDim.x)) return;
  finish_image_sums(partial, sums, N, B, kStructStats);
  const float images = block_sum_over_images(N, [&](int64_t i) { return structure_image_term(sums, i, N, HW, prm); });
  if (threadIdx.x == 0) *value = images + structure_batch_term(sums, N, HW, prm);
}

template <bool BD>
__global__ void __launch_bounds__(kBlock)
    structure_backward_kernel(const float* __restrict__ z, const float* __restrict__ g, const float* __restrict__ w,
                              const float* __restrict__ phi, int64_t N, int64_t HW, int64_t B, int64_t chunk,
                              StructureParams prm, const float* __restrict__ sums, const float* __restrict__ grad_out,
                              float* __restrict__ dz) {
  const int64_t n = blockIdx.x / B, b = blockIdx.x % B;
  const int64_t begin = b * chunk, end = min(HW, begin + chunk);
  const int64_t base = n * HW;
  const StructCoef c = structure_coef(sums, n, N, HW, prm);
  const float go = *grad_out;
  for (int64_t i = base + begin + threadIdx.x; i < base + end; i += kBlock)
    dz[i] = go * structure_pixel_grad<BD>(z[i], g[i], w[i], BD ? phi[i] : 0.0f, c);
}

}  // namespace

size_t structure_weight_workspace_bytes(int64_t N, int64_t H, int64_t W) { return size_t(N * H * W) * sizeof(float); }

void structure_weight_cuda(const float* g, float* w, int64_t N, int64_t H, int64_t W, int radius, float scale,
                           void* workspace, Stream s) {
  if (N * H * W == 0) return;
  float* rows = static_cast<float*>(workspace);
  const int64_t segments = (W + kBlock - 1) / kBlock;
  window_rows_kernel<<<unsigned(N * H * segments), kBlock, 0, s>>>(g, rows, N * H, W, radius, segments);
  window_cols_kernel<<<grid_for(N * H * W), kBlock, 0, s>>>(g, rows, w, N, H, W, radius, scale);
}

size_t structure_loss_workspace_bytes(int64_t N, int64_t HW) {
  const ImagePlan plan = image_plan(N, HW);
  return image_sums_workspace_bytes(N * plan.blocks_per_image, kStructStats);
}

LaunchStatus structure_loss_forward_cuda(const float* z, const float* g, const float* w, const float* phi, int64_t N,
                                         int64_t HW, const StructureParams& p, float* sums, float* value,
                                         void* workspace, Stream s) {
  if (N * HW == 0) return {};
  const bool bd = p.lambda_bd != 0.0f && phi != nullptr;
  const ImagePlan plan = image_plan(N, HW);
  const unsigned grid = unsigned(N * plan.blocks_per_image);
  const ImageSumsWorkspace ws = image_sums_workspace(workspace);
  if (const LaunchStatus st = clear_counter(ws.counter, s); !st.ok()) return st;
  if (bd)
    structure_forward_kernel<true><<<grid, kBlock, 0, s>>>(z, g, w, phi, N, HW, plan.blocks_per_image, plan.chunk, p,
                                                           ws.partial, ws.counter, sums, value);
  else
    structure_forward_kernel<false><<<grid, kBlock, 0, s>>>(z, g, w, z, N, HW, plan.blocks_per_image, plan.chunk, p,
                                                            ws.partial, ws.counter, sums, value);
  return {};
}

void structure_loss_backward_cuda(const float* z, const float* g, const float* w, const float* phi, int64_t N,
                                  int64_t HW, const StructureParams& p, const float* sums, const float* grad_out,
                                  float* dz, Stream s) {
  if (N * HW == 0) return;
  const bool bd = p.lambda_bd != 0.0f && phi != nullptr;
  const ImagePlan plan = image_plan(N, HW);
  const unsigned grid = unsigned(N * plan.blocks_per_image);
  if (bd)
    structure_backward_kernel<true>
        <<<grid, kBlock, 0, s>>>(z, g, w, phi, N, HW, plan.blocks_per_image, plan.chunk, p, sums, grad_out, dz);
  else
    structure_backward_kernel<false>
        <<<grid, kBlock, 0, s>>>(z, g, w, z, N, HW, plan.blocks_per_image, plan.chunk, p, sums, grad_out, dz);
}

}  // namespace fbd::kernels
