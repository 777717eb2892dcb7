// Multi-class softmax losses: Dice, focal and boundary terms over K <= 8 classes, alone or
// fused. Formulas and gradients: softmax_loss_kernels.h, softmax_loss.cuh.
//
// Threads: the image-chunk decomposition of image_sums.cuh over the HW pixels of each image;
// a thread owns a pixel and walks its K classes (plane k at offset k HW, so the loads of a
// warp are coalesced for every class). The class loops are unrolled to kMaxClasses with a
// `k < K` guard, so the per-class values and the 4K + 2 running sums stay in registers.
// Forward: read z (4K B/pixel), y (4) and phi (4K when the boundary term is on); block sums
// of the 4K + 2 quantities, last block finishes per image (its blocks-done counter sits in the
// workspace and is zeroed on the stream before the launch). Backward: read them again and
// write dz (4K B/pixel). Two passes, for the same reason as the binary compound: every Dice
// gradient needs its image's class sums.
#include "kernels/image_sums.cuh"
#include "kernels/softmax_loss.cuh"

namespace fbd::kernels {
namespace {

constexpr int kMcAcc = 4 * kMaxClasses + 2;  // register sums: 4 per class, then focal, bad

// Softmax of one pixel: logits (classes >= K padded with -inf), p_k = e_k / sum e with
// e_k = exp(z_k - max z) (one exp per class, as the CPU twin), and lse = max z + log sum e.
struct PixelSoftmax {
  float z[kMaxClasses], p[kMaxClasses];
  float lse;
  float bad;
};

__device__ PixelSoftmax pixel_softmax(const float* zp, int64_t HW, int K) {
  PixelSoftmax s;
  float m = -INFINITY;
  s.bad = 0.0f;
#pragma unroll
  for (int k = 0; k < kMaxClasses; ++k) {
    s.z[k] = k < K ? zp[k * HW] : -INFINITY;
    if (k < K) s.bad += not_finite(s.z[k]);
    m = fmaxf(m, s.z[k]);
  }
  float se = 0.0f;
#pragma unroll
  for (int k = 0; k < kMaxClasses; ++k) {
    s.p[k] = k < K ? fbd_expf(s.z[k] - m) : 0.0f;
    se += s.p[k];
  }
  s.lse = m + fbd_logf(se);
  const float inv = 1.0f / se;
#pragma unroll
  for (int k = 0; k < kMaxClasses; ++k) s.p[k] *= inv;
  return s;
}

__global__ void __launch_bounds__(kBlock)
    softmax_forward_kernel(const float* __restrict__ z, const float* __restrict__ y, const float* __restrict__ phi,
                           int64_t N, int64_t HW, int64_t B, int64_t chunk, SoftmaxLossParams prm, float* partial,
                           unsigned int* blocks_done, float* sums, float* value) {
  const int K = prm.classes, S = softmax_stat_count(K);
  const bool bd = phi != nullptr, focal = prm.w_focal != 0.0f;
  const int64_t n = blockIdx.x / B, b = blockIdx.x % B;
  const int64_t begin = b * chunk, end = min(HW, begin + chunk);
  float acc[kMcAcc];
#pragma unroll
  for (int j = 0; j < kMcAcc; ++j) acc[j] = 0.0f;
  for (int64_t i = begin + threadIdx.x; i < end; i += kBlock) {
    const PixelSoftmax sm = pixel_softmax(z + n * K * HW + i, HW, K);
    const float yv = y[n * HW + i];
    float bad = sm.bad, hits = 0.0f;  // a label is valid when exactly one class index equals it
    float w = 0.0f, zy = 0.0f, py = 0.0f, ay = 0.0f;
#pragma unroll
    for (int k = 0; k < kMaxClasses; ++k) {
      if (k < K) {
        const float p = sm.p[k];
        const bool is_y = yv == float(k);
        const float g = is_y ? 1.0f : 0.0f;
        acc[4 * k] += p * g;
        acc[4 * k + 1] += prm.squared ? p * p : p;
        acc[4 * k + 2] += g;
        if (bd) {
          const float ph = phi[(n * K + k) * HW + i];
          acc[4 * k + 3] += ph * p;
          bad += not_finite(ph);
        }
        w += is_y ? 0.0f : p;
        zy = is_y ? sm.z[k] : zy;
        py = is_y ? p : py;
        ay = is_y ? prm.class_weight[k] : ay;
        hits += g;
      }
    }
    bad += hits == 1.0f ? 0.0f : 1.0f;
    if (focal) {
      const float l = zy - sm.lse;
      acc[4 * kMaxClasses] += mc_focal(py, w, l, prm.gamma, ay).value;
    }
    acc[4 * kMaxClasses + 1] += bad;
  }
  block_sum<kMcAcc>(acc);
  if (threadIdx.x == 0) {
    float* out = partial + int64_t(blockIdx.x) * S;
#pragma unroll
    for (int k = 0; k < kMaxClasses; ++k)
      if (k < K) {
        out[4 * k] = acc[4 * k];
        out[4 * k + 1] = acc[4 * k + 1];
        out[4 * k + 2] = acc[4 * k + 2];
        out[4 * k + 3] = acc[4 * k + 3];
      }
    out[4 * K] = acc[4 * kMaxClasses];
    out[4 * K + 1] = acc[4 * kMaxClasses + 1];
  }
  if (!last_block(blocks_done, gridDim.x)) return;
  finish_image_sums(partial, sums, N, B, S);
  const float images = block_sum_over_images(N, [&](int64_t i) { return softmax_image_term(sums, i, N, prm); });
  if (threadIdx.x == 0) *value = images + softmax_batch_term(sums, N, HW, prm);
}

__global__ void __launch_bounds__(kBlock)
    softmax_backward_kernel(const float* __restrict__ z, const float* __restrict__ y, const float* __restrict__ phi,
                            int64_t N, int64_t HW, int64_t B, int64_t chunk, SoftmaxLossParams prm,
                            const float* __restrict__ sums, const float* __restrict__ grad_out,
                            float* __restrict__ dz) {
  const int K = prm.classes;
  const bool bd = phi != nullptr, focal = prm.w_focal != 0.0f;
  const int64_t n = blockIdx.x / B, b = blockIdx.x % B;
  const int64_t begin = b * chunk, end = min(HW, begin + chunk);
  const McCoef c = softmax_coef(sums, n, N, HW, prm);
  const float go = *grad_out;
  for (int64_t i = begin + threadIdx.x; i < end; i += kBlock) {
    const PixelSoftmax sm = pixel_softmax(z + n * K * HW + i, HW, K);
    const float yv = y[n * HW + i];
    float ck[kMaxClasses];
    float s = 0.0f, w = 0.0f, zy = 0.0f, py = 0.0f, ay = 0.0f;
#pragma unroll
    for (int k = 0; k < kMaxClasses; ++k) {
      ck[k] = 0.0f;
      if (k < K) {
        const bool is_y = yv == float(k);
        const float g = is_y ? 1.0f : 0.0f;
        ck[k] = c.da[k] * g + c.db[k] * (prm.squared ? 2.0f * sm.p[k] : 1.0f);
        if (bd) ck[k] += c.dphi[k] * phi[(n * K + k) * HW + i];
        s += sm.p[k] * ck[k];
        w += is_y ? 0.0f : sm.p[k];
        zy = is_y ? sm.z[k] : zy;
        py = is_y ? sm.p[k] : py;
        ay = is_y ? prm.class_weight[k] : ay;
      }
    }
    float F = 0.0f;
    if (focal) {
      const float l = zy - sm.lse;
      F = c.focal * mc_focal(py, w, l, prm.gamma, ay).F;
    }
#pragma unroll
    for (int k = 0; k < kMaxClasses; ++k)
      if (k < K) {
        const float g = yv == float(k) ? 1.0f : 0.0f;
        dz[(n * K + k) * HW + i] = go * (sm.p[k] * (ck[k] - s) + F * (g - sm.p[k]));
      }
  }
}

}  // namespace

size_t softmax_loss_workspace_bytes(int64_t N, int64_t HW, int K) {
  const ImagePlan plan = image_plan(N, HW);
  return image_sums_workspace_bytes(N * plan.blocks_per_image, softmax_stat_count(K));
}

LaunchStatus softmax_loss_forward_cuda(const float* z, const float* y, const float* phi, int64_t N, int64_t HW,
                                       const SoftmaxLossParams& p, float* sums, float* value, void* workspace,
                                       Stream s) {
  if (N * HW == 0) return {};
  if (p.w_bd == 0.0f) phi = nullptr;
  const ImagePlan plan = image_plan(N, HW);
  const ImageSumsWorkspace ws = image_sums_workspace(workspace);
  if (const LaunchStatus st = clear_counter(ws.counter, s); !st.ok()) return st;
  softmax_forward_kernel<<<unsigned(N * plan.blocks_per_image), kBlock, 0, s>>>(
      z, y, phi, N, HW, plan.blocks_per_image, plan.chunk, p, ws.partial, ws.counter, sums, value);
  return {};
}

void softmax_loss_backward_cuda(const float* z, const float* y, const float* phi, int64_t N, int64_t HW,
                                const SoftmaxLossParams& p, const float* sums, const float* grad_out, float* dz,
                                Stream s) {
  if (N * HW == 0) return;
  if (p.w_bd == 0.0f) phi = nullptr;
  const ImagePlan plan = image_plan(N, HW);
  softmax_backward_kernel<<<unsigned(N * plan.blocks_per_image), kBlock, 0, s>>>(
      z, y, phi, N, HW, plan.blocks_per_image, plan.chunk, p, sums, grad_out, dz);
}

}  // namespace fbd::kernels
