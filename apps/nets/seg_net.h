// The interface every segmentation network of the app implements (SegNet), its configuration
// and its outputs. The networks themselves, one file each, are listed by name in
// net_registry.h:
//
//  * fbdnet: the paper's network (Fig. 2; docs/APP.md): an encoder of five stages and a decoder
//    (by default U-Net's), a boundary attention module on the stage-2 output (or stage 1, to
//    repeat Fig. 3) that predicts an edge map and weights its features with it, a
//    full-resolution prediction on layer 1 and three side outputs on the deeper levels,
//    upsampled to the input size (deep supervision, Eq. 3).
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
  int blocks = 1;                 // blocks per fbdnet stage (each two 3x3 convolutions, plain or residual)
  int bam_stage = 2;              // fbdnet: stage whose output feeds the boundary attention module (1 or 2)
  std::string fusion = "finest";  // fbdnet prediction: "finest" (the finest side) or "mean" of the sides
  std::string head = "full";      // fbdnet with decoder "fpn": "full" (global head on layer 1) or "half" (fbdnet.cpp)
  int top_down = 3;               // fbdnet with decoder "fpn": finest stage of the top-down path, 3 or 2
  // fbdnet's skeleton. The defaults are U-Net's (chosen by measurement, docs/APP.md "The paper's
  // parts on U-Net's skeleton"); the first reading, a residual encoder with an FPN-like top-down
  // path, is decoder "fpn", upsample "bilinear", downsample "stride", block "residual", stem
  // "conv", stage5_width 8 (fbdnet_first_reading()).
  std::string decoder = "unet";         // "unet" (two 3x3 convolutions per stage) or "fpn" (top-down sums)
  std::string downsample = "maxpool";   // into stages 2-5: "maxpool" (2x2 max pooling) or "stride" (stride-2 block)
  std::string upsample = "transposed";  // the U-Net decoder's: "transposed" (a learned 2x2 conv) or "bilinear"
  std::string block = "plain";          // encoder blocks: "plain" (two 3x3 ConvBnRelu) or "residual" (ResNet's)
  std::string stem = "none";            // "none" (stage 1 reads the image) or "conv" (a 3x3 ConvBnRelu first)
  int stage5_width = 16;                // stage 5's width as a multiple of `width`: 16 (U-Net's) or 8
  int embed_dim = 16;             // projection head for the shape-aware smoothness term
  int in_channels = 1;            // image channels (DCE phases, a subtraction image: data/channels.h)
};

// fbdnet's first reading (the defaults before 2026-12-02): a residual encoder behind a 3x3 stem,
// strided downsampling, stage 5 at 8c, the FPN-like top-down path and the full-resolution head.
inline NetConfig fbdnet_first_reading() {
  NetConfig c;
  c.decoder = "fpn", c.downsample = "stride", c.upsample = "bilinear", c.block = "residual", c.stem = "conv";
  c.stage5_width = 8;
  return c;
}

struct SegOutput {
  Tensor pred;                // [N,1,H,W] logits: the network's prediction
  std::vector<Tensor> sides;  // deep-supervision logits at the input size (fbdnet: the prediction first; else {pred})
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
