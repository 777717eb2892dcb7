// The training losses of `fbd train --loss`, mapping each name to LOSSES.md on a network's
// outputs (the deep-supervision sides and the edge head where the network has them):
//   fbd           paper Eq. 3: sum over the sides of the Focal Boundary Dice loss (Eq. 2, weights
//                 --weights, default 0.5,0.3,0.2) + the focal edge loss (Eq. 1)
//   bce-iou       Eq. 7: sum over the sides of weighted BCE + weighted IoU + the BCE edge loss (Eq. 4)
//   bce-boundary  Eq. 10: as bce-iou plus lambda_BD (1) times the boundary loss, + BCE edge
//   shape-aware   Eq. 11: sum over the sides of BCE + beta compactness, + eta smoothness of the
//                 projected contour/background embeddings of the network's features, + BCE edge
//   dice, focal   the single term on every side (+ the focal edge loss)
// Networks without an edge head (unet, attunet) have no edge term; their one output is their side.
#pragma once
#include <string>
#include <vector>

#include "apps/nets.h"

namespace fbd::app {

struct LossConfig {
  std::string name = "fbd";
  std::vector<float> weights = {0.5f, 0.3f, 0.2f};  // fbd: Dice, focal, boundary
  float beta = 0.01f, eta = 0.01f;                  // shape-aware
};

void check_loss_config(const LossConfig& c);
const std::vector<std::string>& loss_names();

// Targets of one batch, all [N,1,H,W] on the training device. sdm and weight are computed
// from the mask when needed (prepare_targets).
struct Targets {
  Tensor mask, edge, sdm, weight;
};
Targets prepare_targets(const LossConfig& c, const Tensor& mask, const Tensor& edge);

// Whether the loss needs the network's features (shape-aware).
bool loss_needs_features(const LossConfig& c);

Tensor training_loss(const LossConfig& c, SegNet& net, const SegOutput& out, const Targets& t);

}  // namespace fbd::app
