#include "apps/train_loss.h"

#include <algorithm>
#include <cmath>

#include "losses/edt.h"
#include "losses/losses.h"

namespace fbd::app {

const std::vector<std::string>& loss_names() {
  static const std::vector<std::string> names = {"fbd", "bce-iou", "bce-boundary", "shape-aware", "dice", "focal"};
  return names;
}

void check_loss_config(const LossConfig& c) {
  const auto& names = loss_names();
  if (std::find(names.begin(), names.end(), c.name) == names.end()) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    FBD_FAIL("unknown loss '", c.name, "': expected one of ", list);
  }
  FBD_CHECK(c.weights.size() == 3, "--weights needs three values (Dice, focal, boundary), got ", c.weights.size());
  for (float w : c.weights) FBD_CHECK(w >= 0.0f && std::isfinite(w), "--weights must be non-negative, got ", w);
  FBD_CHECK(c.beta >= 0 && c.eta >= 0, "shape-aware beta and eta must be non-negative");
}

bool loss_needs_features(const LossConfig& c) { return c.name == "shape-aware"; }

Targets prepare_targets(const LossConfig& c, const Tensor& mask, const Tensor& edge) {
  Targets t;
  t.mask = mask;
  t.edge = edge;
  if (c.name == "fbd" || c.name == "bce-boundary") t.sdm = signed_distance_map(mask);
  if (c.name == "bce-iou" || c.name == "bce-boundary") t.weight = structure_weight(mask);
  return t;
}

Tensor training_loss(const LossConfig& c, SegNet& net, const SegOutput& out, const Targets& t) {
  const bool has_edge = out.edge.defined() && t.edge.defined();
  if (c.name == "fbd" || c.name == "bce-iou" || c.name == "bce-boundary") {
    DeepSupervisionOptions o;
    o.seg = c.name == "fbd" ? SegLossKind::FocalBoundaryDice
                            : (c.name == "bce-iou" ? SegLossKind::Structure : SegLossKind::BceBoundary);
    o.edge = c.name == "fbd" ? EdgeLossKind::Focal : EdgeLossKind::Bce;
    o.fbd.w_dice = c.weights[0], o.fbd.w_focal = c.weights[1], o.fbd.w_boundary = c.weights[2];
    // Networks without an edge head leave the edge term out (undefined edge logits).
    return deep_supervision_loss(out.sides, {t.mask, t.sdm, t.weight}, has_edge ? out.edge : Tensor(), t.edge, o);
  }
  Tensor total;
  auto acc = [&](const Tensor& l) { total = total.defined() ? add(total, l) : l; };
  if (c.name == "shape-aware") {
    Tensor smooth;
    if (c.eta > 0 && out.features.defined()) {
      const auto [ec, eb] = contour_embeddings(out.features, t.mask);
      smooth = smoothness_loss(net.project(ec), net.project(eb));
    }
    ShapeAwareOptions o;
    o.beta = c.beta, o.eta = c.eta;
    // The smoothness term belongs to the features, not to a side: count it once.
    for (size_t i = 0; i < out.sides.size(); ++i) acc(shape_aware_loss(out.sides[i], t.mask, o, i == 0 ? smooth : Tensor()));
    if (has_edge) acc(bce_edge_loss(out.edge, t.edge));
    return total;
  }
  for (const Tensor& s : out.sides) acc(c.name == "dice" ? dice_loss(s, t.mask) : focal_loss(s, t.mask));
  if (has_edge) acc(focal_edge_loss(out.edge, t.edge));
  return total;
}

}  // namespace fbd::app
