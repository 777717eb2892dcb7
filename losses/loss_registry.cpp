#include "losses/loss_registry.h"

#include <cmath>

#include "core/ops.h"
#include "losses/edt.h"

namespace fbd {

DiceOptions dice_options(const LossSettings& s) { return {s.squared, s.batch, s.eps_num, s.eps_den}; }
FocalOptions focal_options(const LossSettings& s) { return {s.gamma, s.alpha}; }
FbdOptions fbd_options(const LossSettings& s) {
  FbdOptions o;
  o.w_dice = s.w_dice, o.w_focal = s.w_focal, o.w_boundary = s.w_boundary;
  o.dice = dice_options(s);
  o.focal = focal_options(s);
  return o;
}

const std::vector<LossSetting>& loss_settings() {
  using S = LossSettings;
  static const std::vector<LossSetting> table = {
      {"--squared", "Dice: squared denominators (sum p^2 + sum g^2)", nullptr, &S::squared},
      {"--batch", "Dice: one ratio from sums over the whole batch", nullptr, &S::batch},
      {"--eps-num", "Dice numerator smoothing", &S::eps_num},
      {"--eps-den", "Dice denominator smoothing (> 0)", &S::eps_den},
      {"--gamma", "focal gamma (>= 0)", &S::gamma},
      {"--alpha", "focal alpha in [0, 1] (< 0: no class weight)", &S::alpha},
      {"--w-dice", "Focal Boundary Dice: Dice weight", &S::w_dice},
      {"--w-focal", "Focal Boundary Dice: focal weight", &S::w_focal},
      {"--w-boundary", "Focal Boundary Dice: boundary weight", &S::w_boundary},
      {"--lambda-bd", "BCE-boundary: boundary weight", &S::lambda_bd},
      {"--plain-mean-bce", "BCE-IoU, BCE-boundary: the public code's plain mean BCE", nullptr, &S::plain_mean_bce},
      {"--beta", "shape-aware: compactness weight", &S::beta},
      {"--eta", "shape-aware: smoothness weight (training only: needs network features)", &S::eta},
      {"--o", "compactness: the stabiliser o under the square root", &S::o},
      {"--exclude-background", "multi-class: leave class 0 out of Dice and boundary", nullptr, &S::exclude_background},
      {"--class-weights", "multi-class focal: per-class weights a0,a1,...", nullptr, nullptr, &S::class_weights},
  };
  return table;
}

namespace {

SoftmaxLossOptions softmax_options(const LossSettings& s, float w_dice, float w_focal, float w_boundary) {
  SoftmaxLossOptions o;
  o.w_dice = w_dice, o.w_focal = w_focal, o.w_boundary = w_boundary;
  o.dice = dice_options(s);
  o.gamma = s.gamma;
  o.class_weights = s.class_weights;
  o.include_background = !s.exclude_background;
  return o;
}

// The settings lists the rows share.
#define FBD_DICE_SETTINGS "--squared", "--batch", "--eps-num", "--eps-den"
#define FBD_FOCAL_SETTINGS "--gamma", "--alpha"
#define FBD_FBD_SETTINGS FBD_DICE_SETTINGS, FBD_FOCAL_SETTINGS, "--w-dice", "--w-focal", "--w-boundary"

using In = const LossInputs&;
using S = const LossSettings&;

}  // namespace

const std::vector<LossInfo>& loss_registry() {
  static const std::vector<LossInfo> rows = {
      // ---- binary, one term (kernels/binary_loss) ----
      {.name = "dice",
       .summary = "soft Dice (MONAI DiceLoss on sigmoid)",
       .family = "binary_loss",
       .needs = kNeedsMask,
       .settings = {FBD_DICE_SETTINGS},
       .trains = true,
       .edge = EdgeLoss::Focal,
       .bytes_per_pixel = 20,
       .bytes_per_class = 0,
       .compute = [](In in, S s) { return dice_loss(in.logits, in.target, dice_options(s)); }},
      {.name = "focal",
       .summary = "binary focal loss (torchvision sigmoid_focal_loss, mean)",
       .family = "binary_loss",
       .needs = kNeedsMask,
       .settings = {FBD_FOCAL_SETTINGS},
       .trains = true,
       .edge = EdgeLoss::Focal,
       .bytes_per_pixel = 20,
       .bytes_per_class = 0,
       .compute = [](In in, S s) { return focal_loss(in.logits, in.target, focal_options(s)); }},
      {.name = "focal-edge",
       .summary = "paper Eq. 1: the focal loss of the edge head",
       .family = "binary_loss",
       .needs = kNeedsMask,
       .settings = {FBD_FOCAL_SETTINGS},
       .trains = false,
       .edge = EdgeLoss::None,
       .bytes_per_pixel = 20,
       .bytes_per_class = 0,
       .compute = [](In in, S s) { return focal_edge_loss(in.logits, in.target, focal_options(s)); }},
      {.name = "bce",
       .summary = "binary cross-entropy with logits, mean",
       .family = "binary_loss",
       .needs = kNeedsMask,
       .settings = {},
       .trains = true,
       .edge = EdgeLoss::Bce,
       .bytes_per_pixel = 20,
       .bytes_per_class = 0,
       .compute = [](In in, S) { return bce_loss(in.logits, in.target); }},
      {.name = "bce-edge",
       .summary = "paper Eq. 4: BCE of the edge head",
       .family = "binary_loss",
       .needs = kNeedsMask,
       .settings = {},
       .trains = false,
       .edge = EdgeLoss::None,
       .bytes_per_pixel = 20,
       .bytes_per_class = 0,
       .compute = [](In in, S) { return bce_edge_loss(in.logits, in.target); }},
      {.name = "boundary",
       .summary = "boundary distance loss (Kervadec et al.): mean of phi p",
       .family = "binary_loss",
       .needs = kNeedsSdm,
       .settings = {},
       .trains = false,
       .edge = EdgeLoss::None,
       .bytes_per_pixel = 20,
       .bytes_per_class = 0,
       .compute = [](In in, S) { return boundary_loss(in.logits, in.sdm); }},
      // ---- binary compounds ----
      {.name = "fbd",
       .summary = "Focal Boundary Dice, paper Eq. 2: one fused kernel per pass",
       .family = "binary_loss",
       .needs = kNeedsMask | kNeedsSdm,
       .settings = {FBD_FBD_SETTINGS},
       .trains = true,
       .edge = EdgeLoss::Focal,
       .bytes_per_pixel = 28,
       .bytes_per_class = 0,
       .compute = [](In in, S s) { return focal_boundary_dice_loss(in.logits, in.target, in.sdm, fbd_options(s)); }},
      {.name = "fbd-naive",
       .summary = "Focal Boundary Dice as three losses added by autograd (the fused kernel's reference)",
       .family = "binary_loss",
       .needs = kNeedsMask | kNeedsSdm,
       .settings = {FBD_FBD_SETTINGS},
       .trains = false,
       .edge = EdgeLoss::None,
       .bytes_per_pixel = 28,
       .bytes_per_class = 0,
       .compute = [](In in,
                     S s) { return focal_boundary_dice_loss_naive(in.logits, in.target, in.sdm, fbd_options(s)); }},
      // ---- structure (kernels/structure_loss) ----
      {.name = "bce-iou",
       .summary = "structure loss, paper Eq. 5-7: weighted BCE + weighted IoU",
       .family = "structure_loss",
       .needs = kNeedsMask | kNeedsWeight,
       .settings = {"--plain-mean-bce"},
       .trains = true,
       .edge = EdgeLoss::Bce,
       .bytes_per_pixel = 28,
       .bytes_per_class = 0,
       .compute = [](In in, S s) { return structure_loss(in.logits, in.target, in.weight, {s.plain_mean_bce}); }},
      {.name = "bce-boundary",
       .summary = "BCE-based boundary loss, paper Eq. 8-10: structure loss + lambda_bd boundary",
       .family = "structure_loss",
       .needs = kNeedsMask | kNeedsWeight | kNeedsSdm,
       .settings = {"--lambda-bd", "--plain-mean-bce"},
       .trains = true,
       .edge = EdgeLoss::Bce,
       .bytes_per_pixel = 36,
       .bytes_per_class = 0,
       .compute =
           [](In in, S s) {
             return bce_boundary_loss(in.logits, in.target, in.weight, in.sdm, {s.lambda_bd, s.plain_mean_bce});
           }},
      // ---- shape (kernels/shape_loss) ----
      {.name = "compactness",
       .summary = "compactness P^2 / (4 pi A), paper Eq. 12",
       .family = "shape_loss",
       .needs = 0,
       .settings = {"--o"},
       .trains = false,
       .edge = EdgeLoss::None,
       .bytes_per_pixel = 12,
       .bytes_per_class = 0,
       .compute = [](In in, S s) { return compactness_loss(in.logits, s.o); }},
      {.name = "shape-aware",
       .summary = "shape-aware loss, paper Eq. 11: BCE + beta compactness (+ eta smoothness in training)",
       .family = "shape_loss",
       .needs = kNeedsMask | kNeedsFeatures,
       .settings = {"--beta", "--eta", "--o"},
       .trains = true,
       .edge = EdgeLoss::Bce,
       .bytes_per_pixel = 32,
       .bytes_per_class = 0,
       .compute =
           [](In in, S s) {
             return shape_aware_loss(in.logits, in.target, {s.beta, s.eta, s.o}, in.smooth);
           }},
      // ---- multi-class softmax (kernels/softmax_loss) ----
      {.name = "dice-mc",
       .summary = "softmax Dice over K classes",
       .family = "softmax_loss",
       .needs = kNeedsLabels,
       .settings = {FBD_DICE_SETTINGS, "--exclude-background"},
       .trains = false,
       .edge = EdgeLoss::None,
       .bytes_per_pixel = 8,
       .bytes_per_class = 12,
       .compute = [](In in, S s) { return softmax_loss(in.logits, in.target, Tensor(), softmax_options(s, 1, 0, 0)); }},
      {.name = "focal-mc",
       .summary = "softmax focal loss over K classes",
       .family = "softmax_loss",
       .needs = kNeedsLabels,
       .settings = {"--gamma", "--class-weights"},
       .trains = false,
       .edge = EdgeLoss::None,
       .bytes_per_pixel = 8,
       .bytes_per_class = 12,
       .compute = [](In in, S s) { return softmax_loss(in.logits, in.target, Tensor(), softmax_options(s, 0, 1, 0)); }},
      {.name = "boundary-mc",
       .summary = "boundary loss over K classes (one distance map per class)",
       .family = "softmax_loss",
       .needs = kNeedsLabels | kNeedsClassSdm,
       .settings = {"--exclude-background"},
       .trains = false,
       .edge = EdgeLoss::None,
       .bytes_per_pixel = 8,
       .bytes_per_class = 20,
       .compute = [](In in,
                     S s) { return softmax_loss(in.logits, in.target, in.class_sdm, softmax_options(s, 0, 0, 1)); }},
      {.name = "fbd-mc",
       .summary = "multi-class Focal Boundary Dice",
       .family = "softmax_loss",
       .needs = kNeedsLabels | kNeedsClassSdm,
       .settings = {FBD_DICE_SETTINGS, "--gamma", "--w-dice", "--w-focal", "--w-boundary", "--exclude-background",
                    "--class-weights"},
       .trains = false,
       .edge = EdgeLoss::None,
       .bytes_per_pixel = 8,
       .bytes_per_class = 20,
       .compute =
           [](In in, S s) {
             return softmax_loss(in.logits, in.target, in.class_sdm,
                                 softmax_options(s, s.w_dice, s.w_focal, s.w_boundary));
           }},
  };
  return rows;
}

#undef FBD_DICE_SETTINGS
#undef FBD_FOCAL_SETTINGS
#undef FBD_FBD_SETTINGS

std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

std::vector<std::string> loss_names() {
  std::vector<std::string> names;
  for (const LossInfo& r : loss_registry()) names.emplace_back(r.name);
  return names;
}

std::vector<std::string> training_loss_names() {
  std::vector<std::string> names;
  for (const LossInfo& r : loss_registry())
    if (r.trains) names.emplace_back(r.name);
  return names;
}

const LossInfo& find_loss(const std::string& name) {
  for (const LossInfo& r : loss_registry())
    if (name == r.name) return r;
  FBD_FAIL("unknown loss '", name, "': expected one of ", join_names(loss_names()));
}

void complete_loss_inputs(const LossInfo& row, LossInputs& in, float spacing_y, float spacing_x) {
  const bool needs_target = (row.needs & ~kNeedsFeatures) != 0;
  FBD_CHECK(!needs_target || in.target.defined(), "loss ", row.name, ": a target is required");
  if ((row.needs & kNeedsSdm) && !in.sdm.defined()) in.sdm = signed_distance_map(in.target, spacing_y, spacing_x);
  if ((row.needs & kNeedsWeight) && !in.weight.defined()) in.weight = structure_weight(in.target);
  if ((row.needs & kNeedsClassSdm) && !in.class_sdm.defined()) {
    FBD_CHECK(in.logits.defined() && in.logits.dim() == 4, "loss ", row.name,
              ": the per-class distance maps need logits of shape (N,K,H,W)");
    const Device dev = in.logits.device();
    in.class_sdm = class_signed_distance_maps(in.target.cpu(), int(in.logits.size(1)), spacing_y, spacing_x).to(dev);
  }
}

Tensor deep_supervision_loss(const LossInfo& row, const LossSettings& s, const std::vector<Tensor>& side_logits,
                             const LossInputs& targets, const Tensor& edge_logits, const Tensor& edge_target,
                             float aux_weight) {
  const char* op = "deep_supervision_loss";
  FBD_CHECK(aux_weight >= 0 && std::isfinite(aux_weight), op, ": the auxiliary sides' weight must be a ",
            "non-negative number, got ", aux_weight);
  FBD_CHECK(row.trains, op, ": loss '", row.name, "' does not train a network (expected one of ",
            join_names(training_loss_names()), ")");
  FBD_CHECK(!side_logits.empty(), op, ": no side outputs");
  FBD_CHECK(targets.target.defined(), op, ": no target mask");
  FBD_CHECK(!(row.needs & kNeedsSdm) || targets.sdm.defined(), op, ": loss ", row.name,
            " needs the signed distance map");
  LossInputs in = targets;
  if ((row.needs & kNeedsWeight) && !in.weight.defined()) in.weight = structure_weight(in.target);
  Tensor total;
  for (size_t i = 0; i < side_logits.size(); ++i) {
    const Tensor& side = side_logits[i];
    FBD_CHECK(side.defined() && side.shape() == targets.target.shape(), op, ": side output ", i, " has shape ",
              side.defined() ? shape_str(side.shape()) : std::string("(undefined)"), ", the target ",
              shape_str(targets.target.shape()), " (upsample the side outputs to the target size first)");
    in.logits = side;
    in.smooth = i == 0 ? targets.smooth : Tensor();  // the features' term counts once
    if (i > 0 && aux_weight == 0.0f) break;
    const Tensor l = i > 0 && aux_weight != 1.0f ? mul_scalar(row.compute(in, s), aux_weight) : row.compute(in, s);
    total = total.defined() ? add(total, l) : l;
  }
  if (!edge_logits.defined() || row.edge == EdgeLoss::None) return total;  // no edge head
  FBD_CHECK(edge_target.defined(), op, ": edge logits given without an edge target");
  const Tensor edge = row.edge == EdgeLoss::Focal ? focal_edge_loss(edge_logits, edge_target, focal_options(s))
                                                  : bce_edge_loss(edge_logits, edge_target);
  return add(total, edge);
}

}  // namespace fbd
