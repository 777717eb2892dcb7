// The interface every segmentation network of the app implements (SegNet), its configuration
// and its outputs. The networks themselves, one file each, are listed by name in
// net_registry.h:
//
//  * fbdnet: the paper's network (Fig. 2; docs/APP.md): a residual encoder of five stages
//    (stride 2 between stages), a boundary attention module on the stage-2 output (or stage 1,
//    to repeat Fig. 3) that predicts an edge map and weights its features with it, a light
//    top-down path over stages 3-5, and one side output per stage 3, 4, 5, each fused with the
//    edge features and upsampled to the input size (deep supervision, Eq. 3).
//  * unet, attunet, resunet, denseunet, vnet2d: baselines of Table 3 (one output, no edge head).
//
// Every network takes [N, C, H, W] images (C = NetConfig::in_channels) with H and W multiples
// of 16 and returns logits at the input size.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/ops.h"
#include "core/rng.h"
#include "layers/layers.h"

namespace fbd::app {

struct NetConfig {
  std::string net = "fbdnet";     // a name of net_registry.h
  int width = 16;                 // channels of the first stage; later stages double it (capped at 8x)
  int blocks = 1;                 // residual blocks per fbdnet stage
  int bam_stage = 2;              // fbdnet: stage whose output feeds the boundary attention module (1 or 2)
  std::string fusion = "finest";  // fbdnet prediction: "finest" (the finest side) or "mean" of the sides
  std::string head = "full";      // fbdnet: "full" (global head on layer 1, full resolution) or "half" (fbdnet.cpp)
  int top_down = 3;               // fbdnet: finest stage the top-down path reaches, 3 (the first reading) or 2
  std::string decoder = "fpn";    // fbdnet: "fpn" (top-down sums, the first reading) or "unet" (fbdnet.cpp)
  std::string downsample = "stride";  // fbdnet: into stages 2-5, "stride" (the first block's stride 2) or "maxpool"
  std::string upsample = "bilinear";  // fbdnet's U-Net decoder: "bilinear" or "transposed" (a learned 2x2 conv)
  std::string block = "residual";     // fbdnet's encoder blocks: "residual" (ResNet's basic block) or "plain"
  std::string stem = "conv";          // fbdnet: "conv" (a 3x3 ConvBnRelu before stage 1) or "none" (U-Net's way)
  int stage5_width = 8;               // fbdnet: stage 5's width as a multiple of --width, 8 (the first reading) or 16
  int embed_dim = 16;             // projection head for the shape-aware smoothness term
  int in_channels = 1;            // image channels (DCE phases, a subtraction image: data/channels.h)
};

struct SegOutput {
  Tensor pred;                // [N,1,H,W] logits: the network's prediction
  std::vector<Tensor> sides;  // deep-supervision logits at the input size (fbdnet: stages 3, 4, 5; else {pred})
  Tensor edge;                // [N,1,H,W] edge logits (fbdnet) or undefined
  Tensor features;            // [N,C,H,W] features at the input size for the shape-aware term
};

// The output of a network with one prediction and no edge head: `logits` is the prediction and
// the one deep-supervision side; `features` (the shape-aware term's) only when asked for.
inline SegOutput single_output(const Tensor& logits, const Tensor& features, bool need_features) {
  SegOutput out;
  out.pred = logits;
  out.sides = {logits};
  if (need_features) out.features = features;
  return out;
}

class SegNet : public nn::Module {
 public:
  using nn::Module::Module;
  virtual SegOutput forward_seg(const Tensor& x, bool need_features = false) = 0;
  Tensor forward(const Tensor& x) override { return forward_seg(x).pred; }
  // The projection head of the smoothness term (Linear embed_dim), shared by all networks.
  virtual Tensor project(const Tensor& embeddings) = 0;
  int64_t in_channels() const { return in_channels_; }

 protected:
  int64_t in_channels_ = 1;  // set by each network's constructor from NetConfig::in_channels
};

}  // namespace fbd::app
