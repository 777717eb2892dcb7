// The structure loss of F3Net / PraNet (paper Eq. 5-7) and the BCE-based boundary loss
// (paper Eq. 8-10), on logits, with their weight map:
//
//   w      = 1 + 5 |AvgPool_31x31,stride 1,pad 15,count_include_pad(g) - g|   (a function of g only)
//   L_wBCE = sum w BCE(z, g) / sum w                  (per image)
//   L_wIoU = 1 - (sum w p g + 1) / (sum w (p + g) - sum w p g + 1)
//   L      = mean_n (L_wBCE + L_wIoU) + lambda_bd (1 / (N HW)) sum phi p
//
// lambda_bd = 0 gives the structure loss, lambda_bd > 0 the BCE-based boundary loss. With
// plain_mean_bce the BCE part is the plain mean over the batch, which is what the public
// F3Net/PraNet code computes (reduce='none' read as 'mean'); docs/LOSSES.md. Per-pixel math:
// structure_loss.cuh; passes and bytes: structure_loss.cu, docs/kernels/structure_loss.md.
//
// Read in this order:
//   1. kernels/structure_loss_kernels.h (this file): the entry points, CPU and CUDA
//   2. kernels/structure_loss.cuh: the per-element math both backends share (over kernels/loss_math.cuh)
//   3. kernels/structure_loss_cpu.cpp: the CPU twin (sums: kernels/image_sums_cpu.h)
//   4. kernels/structure_loss.cu: the CUDA kernels and how they split the work (sums: kernels/image_sums.cuh)
//   5. losses/structure_loss.cpp: the op that calls them
//   6. docs/kernels/structure_loss.md: the derivations and the measured numbers
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/common.h"

namespace fbd::kernels {

// ---- the weight map ----
inline constexpr int kStructureMaxRadius = 64;  // the CUDA row kernel keeps 2r halo pixels in shared memory
// w = 1 + scale |box(g) - g| with box the (2r+1)^2 mean, zero padding counted (count_include_pad).
// Separable: window sums along rows, then along columns. For a binary g every window sum is an
// integer below 2^24, exact in float in any order, so both devices find the same window sums.
void structure_weight_cpu(const float* g, float* w, int64_t N, int64_t H, int64_t W, int radius, float scale);
size_t structure_weight_workspace_bytes(int64_t N, int64_t H, int64_t W);
void structure_weight_cuda(const float* g, float* w, int64_t N, int64_t H, int64_t W, int radius, float scale,
                           void* workspace, Stream s);

// ---- the loss ----
enum StructStat : int {
  kStWBce = 0,      // sum w bce
  kStWSum = 1,      // sum w
  kStWInter = 2,    // sum w p g
  kStWUnion = 3,    // sum w (p + g)
  kStBoundary = 4,  // sum phi p
  kStBce = 5,       // sum bce (plain_mean_bce)
  kStBad = 6,       // non-finite logits / phi, negative or non-finite w, target not in {0, 1}
  kStructStats = 8,
};

struct StructureParams {
  float lambda_bd = 0.0f;  // 0: structure loss; > 0: BCE-based boundary loss (needs phi)
  bool plain_mean_bce = false;
};

// sums[(N + 1) * kStructStats] (row N: the batch) and value[0]. phi may be null when lambda_bd == 0.
void structure_loss_forward_cpu(const float* z, const float* g, const float* w, const float* phi, int64_t N, int64_t HW,
                                const StructureParams& p, float* sums, float* value);
void structure_loss_backward_cpu(const float* z, const float* g, const float* w, const float* phi, int64_t N,
                                 int64_t HW, const StructureParams& p, const float* sums, const float* grad_out,
                                 float* dz);
// CUDA forward: the workspace holds the per-block partial sums and the blocks-done counter of
// the last-block reduction (kernels/image_sums.cuh), zeroed on stream s before the launch; the
// status reports that memset.
size_t structure_loss_workspace_bytes(int64_t N, int64_t HW);
LaunchStatus structure_loss_forward_cuda(const float* z, const float* g, const float* w, const float* phi, int64_t N,
                                         int64_t HW, const StructureParams& p, float* sums, float* value,
                                         void* workspace, Stream s);
void structure_loss_backward_cuda(const float* z, const float* g, const float* w, const float* phi, int64_t N,
                                  int64_t HW, const StructureParams& p, const float* sums, const float* grad_out,
                                  float* dz, Stream s);

}  // namespace fbd::kernels
