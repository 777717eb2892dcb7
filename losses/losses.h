// The segmentation losses of docs/LOSSES.md as autograd ops, on the CPU and on CUDA.
//
// Every loss takes logits (never probabilities) and returns a scalar tensor (shape []) on the
// logits' device; the gradient flows to the logits only (targets, distance maps and weight
// maps are constants). Binary losses take logits and targets of one shape, (H,W), (N,H,W) or
// (N,1,H,W); targets are float32 or uint8 masks of 0 and 1. Per-image quantities are averaged
// over the images unless an option says otherwise. Kernels: kernels/binary_loss (Dice, focal,
// BCE, boundary, the fused compound), kernels/structure_loss, kernels/shape_loss, kernels/softmax_loss;
// the teaching pages are docs/kernels/.
//
// Input checks. The forward kernels count, in the same pass that computes the loss, the
// logits that are NaN or infinite, the target values other than 0 and 1 and the non-finite
// distance maps; a non-zero count is a one-line fbd::Error naming the op, the input, the
// value and its index. On the CPU the count is free. On CUDA, reading it back costs one
// stream synchronisation (a 4-byte copy) per loss call; set_loss_input_checks(false) skips
// the read-back (and the errors) for a tuned GPU training loop.
#pragma once
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace fbd {

void set_loss_input_checks(bool on);  // default: on
bool loss_input_checks();

// ---- region and pixel losses --------------------------------------------------------------

// Soft Dice (MONAI DiceLoss(sigmoid=True)): 1 - (2 sum p g + eps_num) / (sum p + sum g + eps_den).
struct DiceOptions {
  bool squared = false;  // sum p^2 + sum g^2 in the denominator
  bool batch = false;    // one ratio from sums over the whole batch (instead of the mean over images)
  float eps_num = 1e-5f;
  float eps_den = 1e-5f;  // must be > 0: an empty target with p -> 0 then gives a loss near 0, never NaN
};
Tensor dice_loss(const Tensor& logits, const Tensor& target, const DiceOptions& opt = {});

// Binary focal loss (torchvision sigmoid_focal_loss, mean): a_t (1 - p_t)^gamma BCE.
struct FocalOptions {
  float gamma = 2.0f;   // >= 0
  float alpha = 0.25f;  // in [0, 1]; alpha < 0 disables the class weight a_t
};
Tensor focal_loss(const Tensor& logits, const Tensor& target, const FocalOptions& opt = {});
// Paper Eq. 1: the focal loss of the edge head against the edge ground truth.
Tensor focal_edge_loss(const Tensor& edge_logits, const Tensor& edge_target, const FocalOptions& opt = {});

// BCEWithLogits, mean over pixels; paper Eq. 4 is the same on the edge head.
Tensor bce_loss(const Tensor& logits, const Tensor& target);
Tensor bce_edge_loss(const Tensor& edge_logits, const Tensor& edge_target);

// Boundary (distance) loss of Kervadec et al.: mean over pixels of phi p, with phi the signed
// distance map of the target (losses/edt.h signed_distance_map, computed once per target).
Tensor boundary_loss(const Tensor& logits, const Tensor& sdm);

// ---- compound losses ----------------------------------------------------------------------

// Focal Boundary Dice, paper Eq. 2: w_dice L_Dice + w_focal L_Focal + w_boundary L_BD.
struct FbdOptions {
  float w_dice = 0.5f, w_focal = 0.3f, w_boundary = 0.2f;
  DiceOptions dice;
  FocalOptions focal;
};
// Fused: one kernel per pass (forward 12 B/pixel, backward 16 B/pixel).
Tensor focal_boundary_dice_loss(const Tensor& logits, const Tensor& target, const Tensor& sdm,
                                const FbdOptions& opt = {});
// The same loss as the composition of dice_loss, focal_loss and boundary_loss with autograd's
// scale and add: three forward passes, three backward passes and two gradient additions
// (24 + 36 + 24 = 84 B/pixel). Kept for teaching and as the reference the fused kernel is tested against.
Tensor focal_boundary_dice_loss_naive(const Tensor& logits, const Tensor& target, const Tensor& sdm,
                                      const FbdOptions& opt = {});

// BCE-based IoU (structure loss, paper Eq. 5-7): weighted BCE + weighted IoU, weights
// w = 1 + 5 |AvgPool31(g) - g| (structure_weight). plain_mean_bce reproduces the public
// F3Net/PraNet code, whose "weighted" BCE is the plain batch mean (docs/LOSSES.md).
struct StructureOptions {
  bool plain_mean_bce = false;
};
// The weight map of a binary target batch (no gradient; a function of the target only).
Tensor structure_weight(const Tensor& target);
Tensor structure_loss(const Tensor& logits, const Tensor& target, const Tensor& weight,
                      const StructureOptions& opt = {});
Tensor structure_loss(const Tensor& logits, const Tensor& target, const StructureOptions& opt = {});  // computes w

// BCE-based boundary loss (paper Eq. 8-10): structure loss + lambda_bd L_BD.
struct BceBoundaryOptions {
  float lambda_bd = 1.0f;
  bool plain_mean_bce = false;
};
Tensor bce_boundary_loss(const Tensor& logits, const Tensor& target, const Tensor& weight, const Tensor& sdm,
                         const BceBoundaryOptions& opt = {});

// Deep supervision (paper Eq. 3) sums any registered loss over the side outputs:
// deep_supervision_loss in losses/loss_registry.h.

// ---- shape-aware loss (paper Eq. 11-14) -----------------------------------------------------

// Compactness P^2 / (4 pi A) of p = sigmoid(logits), mean over the batch (docs/LOSSES.md).
Tensor compactness_loss(const Tensor& logits, float o = 1e-8f);

// L_BCE + beta L_compact + eta L_smooth, where `smooth` is a smoothness_loss the network has
// computed from its features (undefined: the term is left out).
struct ShapeAwareOptions {
  float beta = 0.01f, eta = 0.01f, o = 1e-8f;
};
Tensor shape_aware_loss(const Tensor& logits, const Tensor& target, const ShapeAwareOptions& opt = {},
                        const Tensor& smooth = Tensor());

// The contour band C = g - erode(g) and background band B = dilate(g) - g of a binary target
// (3x3 square; pixels outside the image count as background), each shaped like the target.
std::pair<Tensor, Tensor> contour_bands(const Tensor& target);
// Mask-averaged embeddings of features [N, C, H, W] over the bands of the target: [N, 2, C],
// row 0 the contour embedding E_c, row 1 the background embedding E_b (0 where a band is
// empty). Differentiable with respect to the features.
Tensor masked_embeddings(const Tensor& features, const Tensor& target);
// The same as the pair (E_c, E_b), each [N, C].
std::pair<Tensor, Tensor> contour_embeddings(const Tensor& features, const Tensor& target);
// L_smooth over a batch of projected contour and background embeddings [N, D] (each row
// L2-normalised inside, as F.normalize): (1/N^2) sum_{m,n} |e_c^m - e_c^n|^2
// + max(0, margin - |e_c^m - e_b^n|)^2.
Tensor smoothness_loss(const Tensor& contour_proj, const Tensor& background_proj, float margin = 1.0f);

// ---- multi-class softmax losses (beyond the paper) ---------------------------------------

// logits [N, K, H, W] with 2 <= K <= 8; labels (N,H,W), (N,1,H,W) or (H,W) holding class
// indices 0..K-1 (float32, uint8 or int32); class_sdm [N, K, H, W], one signed distance map
// per class (class_signed_distance_maps).
struct SoftmaxLossOptions {
  float w_dice = 1.0f, w_focal = 0.0f, w_boundary = 0.0f;
  DiceOptions dice;
  float gamma = 2.0f;
  std::vector<float> class_weights;  // focal a_k per class (empty: 1 for every class)
  bool include_background = true;    // false: class 0 leaves the Dice and boundary means
};
Tensor softmax_loss(const Tensor& logits, const Tensor& labels, const Tensor& class_sdm, const SoftmaxLossOptions& opt);
Tensor softmax_dice_loss(const Tensor& logits, const Tensor& labels, const DiceOptions& opt = {},
                         bool include_background = true);
Tensor softmax_focal_loss(const Tensor& logits, const Tensor& labels, float gamma = 2.0f,
                          const std::vector<float>& class_weights = {});
Tensor softmax_boundary_loss(const Tensor& logits, const Tensor& class_sdm, bool include_background = true);
// The multi-class Focal Boundary Dice (weights 0.5, 0.3, 0.2 unless opt says otherwise).
Tensor softmax_focal_boundary_dice_loss(const Tensor& logits, const Tensor& labels, const Tensor& class_sdm,
                                        const SoftmaxLossOptions& opt);
SoftmaxLossOptions softmax_fbd_defaults();

// One signed distance map per class of a label map: [N, K, H, W] (losses/edt.h, per class).
Tensor class_signed_distance_maps(const Tensor& labels, int classes, float spacing_y = 1.0f, float spacing_x = 1.0f);

// ---- classification ------------------------------------------------------------------------

// Cross-entropy of a classifier's logits (PyTorch's nn.CrossEntropyLoss, reduction mean, no
// class weights, no ignore_index): logits [N, K] float32 with K >= 2, labels [N] class indices
// 0..K-1 as float32, int32 or uint8. With p = softmax(z_i) and q_i = (1 - s) onehot(y_i) + s / K
// (s = label_smoothing in [0, 1]):
//   L = (1/N) sum_i -sum_k q_ik log p_ik,   dL/dz_ik = (p_ik - q_ik) / N
// Non-finite logits and labels outside 0..K-1 are one-line errors naming the index (counted by
// the kernel, as the segmentation losses' checks; set_loss_input_checks applies).
// Kernels: kernels/cross_entropy; page docs/kernels/cross_entropy.md.
Tensor cross_entropy_loss(const Tensor& logits, const Tensor& labels, float label_smoothing = 0.0f);

}  // namespace fbd
