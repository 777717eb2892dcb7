// Every loss of fbd by name, in one table. `fbd loss NAME`, `fbd train --loss NAME`, `fbd
// compare --losses`, the help texts, the loss benchmarks (bench/loss_cases.h, and through
// them bench/compare_torch_losses.py) and the tests that walk every loss all read this table,
// so adding a loss is: its kernel family (kernels/), its op (losses.h), one row in
// loss_registry.cpp, its tests and its page in docs/kernels/ (docs/EXTENDING.md).
//
// A row says what the loss reads besides the logits (a binary mask, a label map, distance or
// weight maps, network features), which settings it takes, whether it can train a network
// and with which edge-head loss, and how many bytes per pixel its kernels must move.
#pragma once
#include <string>
#include <vector>

#include "core/tensor.h"
#include "losses/losses.h"

namespace fbd {

// What a loss reads besides the logits (a bit set).
enum LossNeeds : unsigned {
  kNeedsMask = 1u,       // a binary target mask of the logits' shape
  kNeedsLabels = 2u,     // a label map of class indices (multi-class logits [N,K,H,W])
  kNeedsSdm = 4u,        // the mask's signed distance map (signed_distance_map)
  kNeedsWeight = 8u,     // the mask's structure weight map (structure_weight)
  kNeedsClassSdm = 16u,  // one signed distance map per class (class_signed_distance_maps)
  kNeedsFeatures = 32u,  // network features and a projection head (shape-aware smoothness; training only)
};

// Every setting any loss takes, with fbd's defaults (docs/LOSSES.md says where each comes
// from). A loss reads the ones its row lists; the helpers below turn them into the options
// structs of losses.h.
struct LossSettings {
  // Dice
  bool squared = false, batch = false;
  float eps_num = 1e-5f, eps_den = 1e-5f;
  // focal
  float gamma = 2.0f, alpha = 0.25f;
  // Focal Boundary Dice weights (paper Eq. 2)
  float w_dice = 0.5f, w_focal = 0.3f, w_boundary = 0.2f;
  // BCE-IoU and BCE-boundary (paper Eq. 5-10)
  float lambda_bd = 1.0f;
  bool plain_mean_bce = false;
  // shape-aware (paper Eq. 11-14)
  float beta = 0.01f, eta = 0.01f, o = 1e-8f;
  // multi-class
  bool exclude_background = false;
  std::vector<float> class_weights;
};
DiceOptions dice_options(const LossSettings& s);
FocalOptions focal_options(const LossSettings& s);
FbdOptions fbd_options(const LossSettings& s);

// A setting as the command line names it: `--gamma` sets LossSettings::gamma. Exactly one of
// the three members is set.
struct LossSetting {
  const char* flag;  // "--gamma"
  const char* help;
  float LossSettings::*number = nullptr;
  bool LossSettings::*on = nullptr;
  std::vector<float> LossSettings::*numbers = nullptr;  // comma-separated on the command line
};
const std::vector<LossSetting>& loss_settings();

// The tensors a loss reads. `target` is the binary mask or the label map; the maps are filled
// from it by complete_loss_inputs when the caller has none precomputed.
struct LossInputs {
  Tensor logits;
  Tensor target;
  Tensor sdm;        // kNeedsSdm
  Tensor weight;     // kNeedsWeight
  Tensor class_sdm;  // kNeedsClassSdm
  Tensor smooth;     // kNeedsFeatures: the smoothness term computed from the network's features
};

enum class EdgeLoss { None, Focal, Bce };  // the edge-head loss paired with a training loss

struct LossInfo {
  const char* name;                   // the command-line name
  const char* summary;                // one line
  const char* family;                 // its kernel family: kernels/FAMILY*, losses/FAMILY.cpp, docs/kernels/FAMILY.md
  unsigned needs;                     // LossNeeds bits
  std::vector<const char*> settings;  // the flags (of loss_settings()) it reads
  bool trains;                        // can train a network (fbd train --loss)
  EdgeLoss edge;                      // the edge-head loss it trains with (paper Eq. 1 or Eq. 4)
  // Bytes per pixel the kernels move for one forward and backward pass (docs/kernels/), as
  // `per_pixel + classes * per_class`; the benchmarks report GB/s from it.
  double bytes_per_pixel, bytes_per_class;
  Tensor (*compute)(const LossInputs& in, const LossSettings& s);
};

const std::vector<LossInfo>& loss_registry();
// The row of `name`; an unknown name is a one-line error listing every loss.
const LossInfo& find_loss(const std::string& name);
std::vector<std::string> loss_names();           // every loss, in table order
std::vector<std::string> training_loss_names();  // the ones that can train a network
// Names joined with ", " for help texts and errors.
std::string join_names(const std::vector<std::string>& names);

// Fills the maps `row` needs that `in` lacks, from in.target: the signed distance map (pixel
// spacing sy, sx), the structure weight, the per-class distance maps (classes = logits' dim 1).
void complete_loss_inputs(const LossInfo& row, LossInputs& in, float spacing_y = 1.0f, float spacing_x = 1.0f);

// Deep supervision, paper Eq. 3: the loss `row` on every side output (already upsampled to the
// target size by the network) plus the row's edge loss on the edge head. A network without an
// edge head passes undefined edge logits and the edge term is left out. `targets` holds the
// mask and whatever maps the row needs (complete_loss_inputs fills the missing ones once, not
// per side); `targets.smooth`, where defined, is added once (with the first side). The first side
// is the network's prediction; every later (auxiliary) side's loss is scaled by `aux_weight`
// (1: the paper's plain sum; 0: the prediction and the edge head alone).
Tensor deep_supervision_loss(const LossInfo& row, const LossSettings& s, const std::vector<Tensor>& side_logits,
                             const LossInputs& targets, const Tensor& edge_logits, const Tensor& edge_target,
                             float aux_weight = 1.0f);

}  // namespace fbd
