// Binary segmentation losses on logits: Dice, focal, BCE, boundary, and their fused compound
// (Focal Boundary Dice, paper Eq. 2). Formulas and gradients: binary_loss.cuh.
//
// Passes. The fused compound runs in two kernels, one per autograd pass:
//   forward  binary_forward_kernel: each block reads z, g, phi of one chunk of one image
//            (12 B/pixel), sums the 7 per-pixel quantities of the active terms (block_sum),
//            writes 8 partials; the last block adds the partials per image, in order, and
//            writes the per-image sums and the loss value (image_sums.cuh). The workspace
//            holds the partials and the blocks-done counter, zeroed on the stream first.
//   backward binary_backward_kernel: each block reads its image's sums once, then z, g, phi
//            again (12 B/pixel) and writes dz (4 B/pixel).
// 28 bytes per pixel in all, against 84 for the naive composition of three losses (each
// forward reads its two inputs; each backward reads two and writes a gradient; autograd then
// adds the three gradients: 2 x 12 B). Two passes is the minimum: the Dice gradient of every
// pixel depends on its image's sums, which exist only after a full reduction.
//
// Threads: 256 per block, one float4 of each input per thread per step when every pointer is
// 16-byte aligned and HW % 4 == 0 (scalar loop otherwise); about two waves of blocks, at least
// 8 pixels per thread, 2048 per block (image_plan). Bound: memory bandwidth. Per pixel the fused forward costs
// ~4 transcendentals (exp, log for softplus, exp+log for m^gamma unless gamma = 2), far below
// the H100's SFU rate at 28 B/pixel.
#include "kernels/binary_loss.cuh"
#include "kernels/image_sums.cuh"

namespace fbd::kernels {
namespace {

template <uint32_t T, bool VEC>
__global__ void __launch_bounds__(kBlock)
    binary_forward_kernel(const float* __restrict__ z, const float* __restrict__ g, const float* __restrict__ phi,
                          int64_t N, int64_t HW, int64_t B, int64_t chunk, BinaryLossParams prm, float* partial,
                          unsigned int* blocks_done, float* sums, float* value) {
  constexpr bool kPhi = (T & kBinaryBoundary) != 0;
  constexpr bool kG = binary_reads_target(T);
  const int64_t n = blockIdx.x / B, b = blockIdx.x % B;
  const int64_t begin = b * chunk, end = min(HW, begin + chunk);
  const int64_t base = n * HW + begin, len = end - begin;
  float acc[kBinaryStats];
#pragma unroll
  for (int k = 0; k < kBinaryStats; ++k) acc[k] = 0.0f;
  auto add = [&](float zv, float gv, float pv) {
    const BinaryPixelStats s = binary_pixel_forward<T>(zv, gv, pv, prm);
    for_active_stats<T>(s, [&](int stat, float v) { acc[stat] += v; });
  };
  if constexpr (VEC) {
    const float4* z4 = reinterpret_cast<const float4*>(z + base);
    const float4* g4 = reinterpret_cast<const float4*>(g + base);
    const float4* p4 = reinterpret_cast<const float4*>(phi + base);
    for (int64_t j = threadIdx.x; j < len / 4; j += kBlock) {
      const float4 zv = z4[j];
      const float4 gv = kG ? g4[j] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
      const float4 pv = kPhi ? p4[j] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
      add(zv.x, gv.x, pv.x);
      add(zv.y, gv.y, pv.y);
      add(zv.z, gv.z, pv.z);
      add(zv.w, gv.w, pv.w);
    }
  } else {
    for (int64_t i = threadIdx.x; i < len; i += kBlock)
      add(z[base + i], kG ? g[base + i] : 0.0f, kPhi ? phi[base + i] : 0.0f);
  }
  block_sum<kBinaryStats>(acc);
  if (threadIdx.x == 0) {
#pragma unroll
    for (int k = 0; k < kBinaryStats; ++k) partial[int64_t(blockIdx.x) * kBinaryStats + k] = acc[k];
  }
  if (!last_block(blocks_done, gridDim.x)) return;
  finish_image_sums(partial, sums, N, B, kBinaryStats);
  const float images = block_sum_over_images(N, [&](int64_t i) { return binary_image_term(sums, i, N, prm); });
  if (threadIdx.x == 0) *value = images + binary_batch_term(sums, N, HW, prm);
}

template <uint32_t T, bool VEC>
__global__ void __launch_bounds__(kBlock)
    binary_backward_kernel(const float* __restrict__ z, const float* __restrict__ g, const float* __restrict__ phi,
                           int64_t N, int64_t HW, int64_t B, int64_t chunk, BinaryLossParams prm,
                           const float* __restrict__ sums, const float* __restrict__ grad_out, float* __restrict__ dz) {
  constexpr bool kPhi = (T & kBinaryBoundary) != 0;
  constexpr bool kG = binary_reads_target(T);
  const int64_t n = blockIdx.x / B, b = blockIdx.x % B;
  const int64_t begin = b * chunk, end = min(HW, begin + chunk);
  const int64_t base = n * HW + begin, len = end - begin;
  const BinaryCoef c = binary_coef(sums, n, N, HW, prm);  // the same few loads in every thread (broadcast)
  const float go = *grad_out;
  if constexpr (VEC) {
    const float4* z4 = reinterpret_cast<const float4*>(z + base);
    const float4* g4 = reinterpret_cast<const float4*>(g + base);
    const float4* p4 = reinterpret_cast<const float4*>(phi + base);
    float4* d4 = reinterpret_cast<float4*>(dz + base);
    for (int64_t j = threadIdx.x; j < len / 4; j += kBlock) {
      const float4 zv = z4[j];
      const float4 gv = kG ? g4[j] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
      const float4 pv = kPhi ? p4[j] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
      float4 r;
      r.x = go * binary_pixel_grad<T>(zv.x, gv.x, pv.x, prm, c);
      r.y = go * binary_pixel_grad<T>(zv.y, gv.y, pv.y, prm, c);
      r.z = go * binary_pixel_grad<T>(zv.z, gv.z, pv.z, prm, c);
      r.w = go * binary_pixel_grad<T>(zv.w, gv.w, pv.w, prm, c);
      d4[j] = r;
    }
  } else {
    for (int64_t i = threadIdx.x; i < len; i += kBlock)
      dz[base + i] =
          go * binary_pixel_grad<T>(z[base + i], kG ? g[base + i] : 0.0f, kPhi ? phi[base + i] : 0.0f, prm, c);
  }
}

bool vector_ok(const float* z, const float* g, const float* phi, int64_t HW) {
  return HW % 4 == 0 && aligned16(z) && aligned16(g) && aligned16(phi);
}

}  // namespace

size_t binary_loss_workspace_bytes(int64_t N, int64_t HW) {
  const ImagePlan plan = image_plan(N, HW);
  return image_sums_workspace_bytes(N * plan.blocks_per_image, kBinaryStats);
}

LaunchStatus binary_loss_forward_cuda(const float* z, const float* g, const float* phi, int64_t N, int64_t HW,
                                      const BinaryLossParams& p, float* sums, float* value, void* workspace, Stream s) {
  if (N * HW == 0) return {};
  if (g == nullptr) g = z;      // never read: the boundary term alone has no target
  if (phi == nullptr) phi = z;  // never read with weight: only the all-terms instance reads phi without the term
  const ImagePlan plan = image_plan(N, HW);
  const unsigned grid = unsigned(N * plan.blocks_per_image);
  const ImageSumsWorkspace ws = image_sums_workspace(workspace);
  if (const LaunchStatus st = clear_counter(ws.counter, s); !st.ok()) return st;
  const bool vec = vector_ok(z, g, phi, HW);
  dispatch_binary_terms(p.terms, [&]<uint32_t T>() {
    if (vec)
      binary_forward_kernel<T, true><<<grid, kBlock, 0, s>>>(z, g, phi, N, HW, plan.blocks_per_image, plan.chunk, p,
                                                             ws.partial, ws.counter, sums, value);
    else
      binary_forward_kernel<T, false><<<grid, kBlock, 0, s>>>(z, g, phi, N, HW, plan.blocks_per_image, plan.chunk, p,
                                                              ws.partial, ws.counter, sums, value);
  });
  return {};
}

void binary_loss_backward_cuda(const float* z, const float* g, const float* phi, int64_t N, int64_t HW,
                               const BinaryLossParams& p, const float* sums, const float* grad_out, float* dz,
                               Stream s) {
  if (N * HW == 0) return;
  if (g == nullptr) g = z;
  if (phi == nullptr) phi = z;
  const ImagePlan plan = image_plan(N, HW);
  const unsigned grid = unsigned(N * plan.blocks_per_image);
  const bool vec = vector_ok(z, g, phi, HW) && aligned16(dz);
  dispatch_binary_terms(p.terms, [&]<uint32_t T>() {
    if (vec)
      binary_backward_kernel<T, true>
          <<<grid, kBlock, 0, s>>>(z, g, phi, N, HW, plan.blocks_per_image, plan.chunk, p, sums, grad_out, dz);
    else
      binary_backward_kernel<T, false>
          <<<grid, kBlock, 0, s>>>(z, g, phi, N, HW, plan.blocks_per_image, plan.chunk, p, sums, grad_out, dz);
  });
}

}  // namespace fbd::kernels
