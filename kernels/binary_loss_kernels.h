// The binary segmentation losses on logits, one kernel family: soft Dice, focal, BCE and the
// boundary (distance) term, alone or fused into the Focal Boundary Dice compound (paper Eq. 2):
//
//   L = w_dice L_Dice + w_focal L_Focal + w_bce L_BCE + w_bd L_BD
//
// over a batch of N images of HW pixels: logits z, target g in {0, 1}, and (for the boundary
// term) the signed distance map phi of g. Per-pixel math: binary_loss.cuh; formulas, gradients,
// passes and bytes: binary_loss.cu and docs/kernels/binary_loss.md.
//
// Two passes over memory, whatever the terms:
//   forward  reads z, g (and phi) once and reduces the per-image sums of every active term
//            (sums[n][k], see BinaryStat) and the loss value;
//   backward reads z, g (and phi) once more and writes dL/dz, using the Dice sums of pass 1.
// The Dice gradient of a pixel needs the sums over its whole image, so no gradient can be
// written before one complete reduction: two passes is the least the math allows.
//
// Read in this order:
//   1. kernels/binary_loss_kernels.h (this file): the entry points, CPU and CUDA
//   2. kernels/binary_loss.cuh: the per-element math both backends share (over kernels/loss_math.cuh)
//   3. kernels/binary_loss_cpu.cpp: the CPU twin (sums: kernels/image_sums_cpu.h)
//   4. kernels/binary_loss.cu: the CUDA kernels and how they split the work (sums: kernels/image_sums.cuh)
//   5. losses/binary_loss.cpp: the op that calls them
//   6. docs/kernels/binary_loss.md: the derivations and the measured numbers
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/common.h"

namespace fbd::kernels {

// Which terms a launch computes (a bit set). A term that is off costs nothing.
enum BinaryTerm : uint32_t {
  kBinaryDice = 1u,
  kBinaryFocal = 2u,
  kBinaryBce = 4u,
  kBinaryBoundary = 8u,
  kBinaryFbd = kBinaryDice | kBinaryFocal | kBinaryBoundary,  // the fused compound of Eq. 2
};
// The terms, once: every term set the kernels accept is a subset of kBinaryAllTerms.
#define FBD_BINARY_TERMS(X) X(kBinaryDice) X(kBinaryFocal) X(kBinaryBce) X(kBinaryBoundary)
#define FBD_BINARY_OR_TERM(t) | t
inline constexpr uint32_t kBinaryAllTerms = 0u FBD_BINARY_TERMS(FBD_BINARY_OR_TERM);
#undef FBD_BINARY_OR_TERM

// The per-image sums of the forward pass: sums[n * kBinaryStats + stat], for n in [0, N], where
// row N holds the sums over the whole batch.
enum BinaryStat : int {
  kStatInter = 0,     // sum p g
  kStatPred = 1,      // sum p (sum p^2 when squared)
  kStatTarget = 2,    // sum g (sum g^2 when squared)
  kStatFocal = 3,     // sum of the focal loss of each pixel
  kStatBce = 4,       // sum of BCE
  kStatBoundary = 5,  // sum phi p
  kStatBad = 6,       // number of non-finite logits or phi, and of target values other than 0 and 1
  kBinaryStats = 8,   // row length (one spare, so a row is 32 bytes)
};
// The term each sum belongs to: a launch reduces exactly the sums of its terms, plus the
// bad-input count, which every launch keeps (kAnyTerm). The kernels and the CPU twin read
// this table, so a new sum is one enum value and one entry here.
inline constexpr uint32_t kAnyTerm = ~0u;
// clang-format off
inline constexpr uint32_t kBinaryStatTerm[kBinaryStats] = {
    kBinaryDice, kBinaryDice, kBinaryDice, kBinaryFocal, kBinaryBce, kBinaryBoundary, kAnyTerm, 0u};
// clang-format on
// Whether a launch with term set TERMS reduces sum `stat`.
constexpr bool binary_stat_active(uint32_t terms, int stat) { return (kBinaryStatTerm[stat] & terms) != 0; }
static_assert(kBinaryStatTerm[kStatBad] == kAnyTerm && kStatBad < kBinaryStats, "the bad-input count is always kept");

struct BinaryLossParams {
  uint32_t terms = kBinaryFbd;
  float w_dice = 0.5f, w_focal = 0.3f, w_bce = 0.0f, w_bd = 0.2f;
  // Dice: eps_num, eps_den (MONAI's smooth_nr, smooth_dr), squared denominators, and `batch`
  // (one ratio from sums over the whole batch instead of the mean of per-image ratios).
  float eps_num = 1e-5f, eps_den = 1e-5f;
  bool squared = false, batch = false;
  // Focal: gamma >= 0; alpha in [0, 1], or alpha < 0 for no class weighting.
  float gamma = 2.0f, alpha = 0.25f;
};

// Forward: sums[(N + 1) * kBinaryStats] and value[0] = L. phi may be null when the boundary term
// is off, g when only the boundary term is on. CPU: no workspace.
void binary_loss_forward_cpu(const float* z, const float* g, const float* phi, int64_t N, int64_t HW,
                             const BinaryLossParams& p, float* sums, float* value);

// Backward: dz[i] = grad_out[0] * dL/dz[i], reading the sums of the forward pass. grad_out is
// a one-element buffer on the same device (the upstream gradient of the scalar loss), so the
// CUDA launch never waits for the host.
void binary_loss_backward_cpu(const float* z, const float* g, const float* phi, int64_t N, int64_t HW,
                              const BinaryLossParams& p, const float* sums, const float* grad_out, float* dz);

// CUDA: the workspace holds the per-block partial sums and the blocks-done counter of the
// last-block reduction (kernels/image_sums.cuh), which the forward zeroes on stream s before
// its launch; the status reports that memset.
size_t binary_loss_workspace_bytes(int64_t N, int64_t HW);
LaunchStatus binary_loss_forward_cuda(const float* z, const float* g, const float* phi, int64_t N, int64_t HW,
                                      const BinaryLossParams& p, float* sums, float* value, void* workspace, Stream s);
void binary_loss_backward_cuda(const float* z, const float* g, const float* phi, int64_t N, int64_t HW,
                               const BinaryLossParams& p, const float* sums, const float* grad_out, float* dz,
                               Stream s);

}  // namespace fbd::kernels
