// The training loss of a run (`fbd train --loss NAME`): any loss of losses/loss_registry.h
// that can train a network, summed over the network's deep-supervision sides with the loss's
// edge-head term (paper Eq. 3; deep_supervision_loss). Today: fbd (Eq. 2 + the focal edge loss
// of Eq. 1, weights --weights), bce-iou (Eq. 7 + the BCE edge loss of Eq. 4), bce-boundary
// (Eq. 10 + BCE edge), shape-aware (Eq. 11: BCE + beta compactness on every side, + eta
// smoothness of the projected contour/background embeddings of the network's features, once,
// + BCE edge), dice and focal (+ the focal edge loss), bce (+ BCE edge). Networks without an
// edge head (every one but fbdnet) have no edge term; their one output is their one side.
// `fbd train` without --loss takes the network's own loss (NetInfo::default_loss).
//
// One loss is not in the registry: "pix2pix", the pix2pix network's own (apps/nets/pix2pix.h):
// the adversarial term, which the trainer's GAN step adds, plus 100 times the reconstruction
// term computed here, the L1 distance between sigmoid(logits) and the mask (mean over pixels).
// Only an adversarial network trains with it; such a network may instead take any training
// loss of the registry, which then replaces the L1 term (check_loss_for_net).
#pragma once
#include <string>
#include <vector>

#include "apps/nets/seg_net.h"
#include "losses/loss_registry.h"

namespace fbd::app {

// What a run's config.json records of its loss.
struct LossConfig {
  std::string name = "fbd";
  std::vector<float> weights = {0.5f, 0.3f, 0.2f};  // fbd: Dice, focal, boundary
  float beta = 0.01f, eta = 0.01f;                  // shape-aware
  float alpha = 0.25f;                              // focal terms' class weight (< 0: none)
  float gamma = 2.0f;                               // focal terms' focusing exponent (0: weighted BCE)
  // Epochs over which the boundary weight (weights[2]) rises linearly to its value, as Kervadec
  // et al. schedule it: epoch e (1-based) trains with min(1, e / boundary_ramp) of it. 0 gives
  // it in full from the first epoch, the paper's reading.
  int boundary_ramp = 0;
  // The boundary terms' signed distances: "normalized" (each image's map divided by its largest
  // magnitude: losses/edt.h; the default by measurement, docs/APP.md) or "pixels" (Kervadec et
  // al.'s, the first reading).
  std::string distance = "normalized";
  // Weight of the auxiliary side outputs' losses beside the prediction's (deep supervision,
  // losses/loss_registry.h): 1 is the paper's plain sum (Eq. 3, the first reading); 0.25, the
  // default by measurement (docs/APP.md), keeps the sides supervised but the prediction first.
  float side_weight = 0.25f;
};

// The loss configuration epoch `epoch` (1-based) trains with: `c` with its boundary ramp applied.
LossConfig loss_config_at_epoch(const LossConfig& c, int epoch);

// The pix2pix network's own loss (--loss pix2pix), and the weight of the reconstruction term
// beside the adversarial one (the paper's lambda).
inline constexpr const char* kPix2PixLoss = "pix2pix";
inline constexpr float kPix2PixLambda = 100.0f;

// One-line errors for an unknown or non-training loss and bad weights.
void check_loss_config(const LossConfig& c);
// One-line errors for a loss the network cannot train with (pix2pix's own loss on another
// network) and for inputs too small for a discriminator.
void check_loss_for_net(const LossConfig& c, const NetConfig& net, int size);
// The registry's settings with the run's weights, beta, eta, alpha and gamma.
LossSettings loss_settings_of(const LossConfig& c);

// Targets of one batch, all [N,1,H,W] on the training device: the mask, the edge map, and the
// distance and weight maps the loss needs (computed from the mask once per batch).
struct Targets {
  Tensor mask, edge, sdm, weight;
};
Targets prepare_targets(const LossConfig& c, const Tensor& mask, const Tensor& edge);

// Whether the loss needs the network's features (shape-aware).
bool loss_needs_features(const LossConfig& c);

Tensor training_loss(const LossConfig& c, SegNet& net, const SegOutput& out, const Targets& t);

}  // namespace fbd::app
