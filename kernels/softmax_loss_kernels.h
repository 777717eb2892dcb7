// Multi-class segmentation losses on softmax probabilities (the extension the paper leaves as
// future work, docs/LOSSES.md), one kernel family: soft Dice, focal and boundary terms over K
// classes, alone or fused,
//
//   L = w_dice L_Dice + w_focal L_Focal + w_bd L_BD
//
// for logits z [N, K, HW], integer labels y [N, HW] (stored as float, values 0..K-1) and, for
// the boundary term, one signed distance map per class phi [N, K, HW]. With p = softmax_k(z)
// and g_k = [y == k], over the included classes (all, or all but class 0):
//   L_Dice = mean over n and included k of 1 - (2 sum p_k g_k + e_n) / (sum p_k + sum g_k + e_d)
//            (`batch`: sums over the batch, mean over included k; `squared`: p^2, g^2)
//   L_Focal = (1 / (N HW)) sum_i -a_y (1 - p_y)^gamma log p_y    (gamma = 0, a = 1: cross-entropy)
//   L_BD    = mean over n, included k and pixels of phi_k p_k     (Kervadec's SurfaceLoss)
// Math: softmax_loss.cuh; passes and bytes: softmax_loss.cu, docs/kernels/softmax_loss.md.
//
// Read in this order:
//   1. kernels/softmax_loss_kernels.h (this file): the entry points, CPU and CUDA
//   2. kernels/softmax_loss.cuh: the per-element math both backends share (over kernels/loss_math.cuh)
//   3. kernels/softmax_loss_cpu.cpp: the CPU twin (sums: kernels/image_sums_cpu.h)
//   4. kernels/softmax_loss.cu: the CUDA kernels and how they split the work (sums: kernels/image_sums.cuh)
//   5. losses/softmax_loss.cpp: the op that calls them
//   6. docs/kernels/softmax_loss.md: the derivations and the measured numbers
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/common.h"

namespace fbd::kernels {

inline constexpr int kMaxClasses = 8;

struct SoftmaxLossParams {
  int classes = 2;
  float w_dice = 1.0f, w_focal = 0.0f, w_bd = 0.0f;
  float eps_num = 1e-5f, eps_den = 1e-5f;
  bool squared = false, batch = false;
  bool include_background = true;  // false: class 0 leaves the Dice and boundary means
  float gamma = 2.0f;
  float class_weight[kMaxClasses] = {1, 1, 1, 1, 1, 1, 1, 1};  // a_k of the focal term
};

// Per-image sums, rows of softmax_stat_count(K) floats: for class k, [4k] = sum p_k g_k,
// [4k+1] = sum p_k (or p_k^2), [4k+2] = sum g_k, [4k+3] = sum phi_k p_k; then [4K] = sum of the
// focal term and [4K+1] = the number of bad inputs (non-finite logits or phi, labels that are
// not integers in [0, K)). N + 1 rows: row N is the batch.
inline constexpr int softmax_stat_count(int K) { return 4 * K + 2; }

void softmax_loss_forward_cpu(const float* z, const float* y, const float* phi, int64_t N, int64_t HW,
                              const SoftmaxLossParams& p, float* sums, float* value);
void softmax_loss_backward_cpu(const float* z, const float* y, const float* phi, int64_t N, int64_t HW,
                               const SoftmaxLossParams& p, const float* sums, const float* grad_out, float* dz);
// CUDA forward: the workspace holds the per-block partial sums and the blocks-done counter of
// the last-block reduction (kernels/image_sums.cuh), zeroed on stream s before the launch; the
// status reports that memset.
size_t softmax_loss_workspace_bytes(int64_t N, int64_t HW, int K);
LaunchStatus softmax_loss_forward_cuda(const float* z, const float* y, const float* phi, int64_t N, int64_t HW,
                                       const SoftmaxLossParams& p, float* sums, float* value, void* workspace,
                                       Stream s);
void softmax_loss_backward_cuda(const float* z, const float* y, const float* phi, int64_t N, int64_t HW,
                                const SoftmaxLossParams& p, const float* sums, const float* grad_out, float* dz,
                                Stream s);

}  // namespace fbd::kernels
