#include "apps/train/training_loss.h"

#include <algorithm>
#include <cmath>

#include "apps/nets/pix2pix.h"
#include "losses/edt.h"
#include "losses/losses.h"

namespace fbd::app {

void check_loss_config(const LossConfig& c) {
  const std::vector<std::string> names = training_loss_names();
  if (c.name != kPix2PixLoss && std::find(names.begin(), names.end(), c.name) == names.end()) {
    const std::vector<std::string> all = loss_names();
    const bool known = std::find(all.begin(), all.end(), c.name) != all.end();
    FBD_FAIL(known ? "loss '" : "unknown loss '", c.name, known ? "' cannot train a network" : "'",
             ": expected one of ", join_names(names));
  }
  FBD_CHECK(c.weights.size() == 3, "--weights needs three values (Dice, focal, boundary), got ", c.weights.size());
  for (float w : c.weights) FBD_CHECK(w >= 0.0f && std::isfinite(w), "--weights must be non-negative, got ", w);
  FBD_CHECK(c.beta >= 0 && c.eta >= 0, "shape-aware beta and eta must be non-negative");
  FBD_CHECK(std::isfinite(c.alpha) && c.alpha <= 1.0f, "--alpha must be at most 1 (negative: no class weight), got ",
            c.alpha);
  FBD_CHECK(std::isfinite(c.gamma) && c.gamma >= 0.0f && c.gamma <= 10.0f, "--gamma must be in [0, 10], got ", c.gamma);
  FBD_CHECK(c.distance == "pixels" || c.distance == "normalized", "unknown --distance '", c.distance,
            "': expected pixels or normalized");
  FBD_CHECK(c.side_weight >= 0.0f && std::isfinite(c.side_weight), "--side-weight must be a non-negative number, got ",
            c.side_weight);
  FBD_CHECK(c.boundary_ramp >= 0, "--boundary-ramp must be a non-negative number of epochs, got ", c.boundary_ramp);
}

LossConfig loss_config_at_epoch(const LossConfig& c, int epoch) {
  LossConfig at = c;
  if (c.boundary_ramp > 0 && epoch < c.boundary_ramp)
    at.weights.at(2) = c.weights.at(2) * static_cast<float>(std::max(epoch, 0)) / static_cast<float>(c.boundary_ramp);
  return at;
}

void check_loss_for_net(const LossConfig& c, const NetConfig& net, int size) {
  const bool adversarial = is_adversarial_net(net.net);
  FBD_CHECK(c.name != kPix2PixLoss || adversarial, "loss '", kPix2PixLoss, "' trains only --net pix2pix (its ",
            "adversarial term needs a discriminator), not ", net.net);
  FBD_CHECK(!adversarial || size >= kPatchGanMinSize, net.net, ": --size must be at least ", kPatchGanMinSize,
            " (the PatchGAN discriminator), got ", size);
}

LossSettings loss_settings_of(const LossConfig& c) {
  LossSettings s;
  s.w_dice = c.weights.at(0), s.w_focal = c.weights.at(1), s.w_boundary = c.weights.at(2);
  s.beta = c.beta, s.eta = c.eta;
  s.alpha = c.alpha;
  s.gamma = c.gamma;
  return s;
}

bool loss_needs_features(const LossConfig& c) {
  return c.name != kPix2PixLoss && (find_loss(c.name).needs & kNeedsFeatures) != 0;
}

Targets prepare_targets(const LossConfig& c, const Tensor& mask, const Tensor& edge) {
  if (c.name == kPix2PixLoss) return {mask, edge, {}, {}};
  LossInputs in;
  in.target = mask;
  complete_loss_inputs(find_loss(c.name), in);
  if (c.distance == "normalized" && in.sdm.defined()) in.sdm = normalize_distance_map(in.sdm);
  return {mask, edge, in.sdm, in.weight};
}

Tensor training_loss(const LossConfig& c, SegNet& net, const SegOutput& out, const Targets& t) {
  if (c.name == kPix2PixLoss) return mean(abs(sub(sigmoid(out.pred), t.mask)));  // the L1 term
  const LossInfo& row = find_loss(c.name);
  LossInputs targets;
  targets.target = t.mask;
  targets.sdm = t.sdm;
  targets.weight = t.weight;
  if ((row.needs & kNeedsFeatures) && c.eta > 0 && out.features.defined()) {
    const auto [ec, eb] = contour_embeddings(out.features, t.mask);
    targets.smooth = smoothness_loss(net.project(ec), net.project(eb));
  }
  const bool has_edge = out.edge.defined() && t.edge.defined();
  return deep_supervision_loss(row, loss_settings_of(c), out.sides, targets, has_edge ? out.edge : Tensor(), t.edge,
                               c.side_weight);
}

}  // namespace fbd::app
