// The paper's network (Fig. 2), as docs/APP.md describes it. Stage s runs at 1/2^(s-1) of the
// input resolution with widths c, 2c, 4c, 8c, 8c.
//
// Its prediction (NetConfig::head): "full" adds the global segmentation head on layer 1 that
// the caption of Fig. 2 names: the finest side's features, upsampled to full resolution and
// fused with the stage-1 features, make a full-resolution output that is both the prediction
// and a fourth supervised side. "half" is fbd's first reading: the prediction is the finest
// side, made at half resolution from stage-2 features and upsampled, so the stem and stage 1
// never reach the output. Runs trained before the option existed read as "half"; its modules
// are registered last, so a "half" network is initialised exactly as before.
//
// Its top-down path (NetConfig::top_down): 3, the first reading, sums stages 5, 4 and 3 and
// reaches stage 2 only through the boundary attention module's features. 2 adds a lateral from
// stage 2 (lateral2 + the upsampled stage-3 sum) to the finest side output's input, as a
// U-Net's decoder reads every stage. Its module is registered after all others, so a network
// with 3 is initialised exactly as before the option.
//
// Its decoder (NetConfig::decoder): "fpn", the reading above (1x1 laterals summed top-down, the
// sides fused at stage-2 resolution). "unet" replaces the top-down path and the side fusions with
// a U-Net's decoder over the same encoder: at stages 4, 3, 2 and 1 the upsampled coarser level is
// concatenated with the stage's own features (and, at stage 2, with the boundary attention
// module's edge features) and refined by two 3x3 ConvBnRelu of the stage's width; the sides are
// 1x1 heads on the decoder's stages 2, 3 and 4, the prediction a 1x1 head on its stage 1 (full
// resolution). It always has the full-resolution head and reads every stage. Its upsampling
// (NetConfig::upsample): "bilinear" (the coarser level keeps its width), or "transposed", U-Net's
// way: a learned 2x2 transposed convolution of stride 2 that also brings it to the stage's width,
// so each refinement reads twice the stage's width (plus the edge features at stage 2).
//
// Its downsampling into stages 2-5 (NetConfig::downsample): "stride", the first reading (the
// stage's first residual block has stride 2, ResNet's way), or "maxpool" (a 2x2 max pooling
// before the stage, whose blocks then all have stride 1, U-Net's way). The modules are the same
// but one: at 8c stage 5 keeps stage 4's width, so at stride 1 its first block needs no projection.
//
// Its stem (NetConfig::stem): "conv", the first reading (a 3x3 ConvBnRelu from the image to c
// channels before stage 1), or "none" (stage 1's first block reads the image, as U-Net's first
// level does). Stage 5's width (NetConfig::stage5_width): 8c, the first reading (stage 4's), or
// 16c, U-Net's bottleneck. With both and the U-Net decoder, maxpool and plain blocks, the encoder
// and decoder are U-Net's, and the paper's parts (boundary attention, sides) sit on them.
//
// Its encoder blocks (NetConfig::block): "residual", the first reading (ResNet's basic block:
// two 3x3 convolutions and an identity or projected shortcut), or "plain" (the same two 3x3
// ConvBnRelu without the shortcut, a U-Net's level; the first at stride 2 where "stride"
// downsamples). Same widths and depth; a plain block has no projection convolutions.
#include <algorithm>

#include "apps/nets/blocks.h"
#include "apps/nets/net_registry.h"

namespace fbd::app {

namespace {

class FbdNet : public SegNet {
 public:
  FbdNet(const NetConfig& cfg, Generator& gen) : SegNet("FbdNet"), cfg_(cfg) {
    in_channels_ = cfg.in_channels;
    const int64_t c = cfg.width, widths[5] = {c, 2 * c, 4 * c, 8 * c, cfg.stage5_width * c};
    const int64_t d = 2 * c;  // decoder and side-head width
    if (cfg.stem == "conv")
      stem_ = register_module("stem", std::make_shared<ConvBnRelu>(cfg.in_channels, c, 3, 1, gen));
    int64_t in = stem_ ? c : cfg.in_channels;
    for (int s = 0; s < 5; ++s) {
      auto stage = std::make_shared<nn::Sequential>();
      for (int b = 0; b < cfg.blocks; ++b) {
        const int64_t block_in = b == 0 ? in : widths[s],
                      stride = (b == 0 && s > 0 && cfg.downsample == "stride") ? 2 : 1;
        if (cfg.block == "plain")
          stage->add(std::make_shared<DoubleConv>(block_in, widths[s], gen, stride));
        else
          stage->add(std::make_shared<ResBlock>(block_in, widths[s], stride, gen));
      }
      stages_[s] = register_module("stage" + std::to_string(s + 1), stage);
      in = widths[s];
    }
    // Boundary attention module (none at bam_stage 0: no edge features, no edge output).
    const int64_t e = cfg.bam_stage > 0 ? d : 0;  // edge-feature channels joined to the decoder
    if (cfg.bam_stage > 0) {
      bam_ = register_module("bam", std::make_shared<ConvBnRelu>(widths[cfg.bam_stage - 1], d, 3, 1, gen));
      edge_head_ = register_module("edge_head", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(d, 1, 1), gen));
    }
    if (cfg.decoder == "unet") {
      const bool transposed = cfg.upsample == "transposed";
      for (int s = 3; s >= 0; --s) {
        if (transposed)  // the coarser level upsampled 2x by a learned 2x2 convolution, to this stage's width
          up_[s] = register_module(
              "up" + std::to_string(s + 1),
              std::make_shared<nn::ConvTranspose2d>(nn::Conv2dOptions(widths[s + 1], widths[s], 2).stride(2), gen));
        dec_[s] = register_module(
            "dec" + std::to_string(s + 1),
            std::make_shared<DoubleConv>((transposed ? widths[s] : widths[s + 1]) + widths[s] + (s == 1 ? e : 0),
                                         widths[s], gen));
      }
      for (int k = 0; k < 3; ++k)
        side_[k] = register_module("side" + std::to_string(k + 2),
                                   std::make_shared<nn::Conv2d>(nn::Conv2dOptions(widths[k + 1], 1, 1), gen));
      head_ = register_module("head", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(widths[0], 1, 1), gen));
      proj_ = register_module("proj", std::make_shared<nn::Linear>(widths[0], cfg.embed_dim, true, gen));
      return;
    }
    // Top-down path over stages 3-5.
    for (int s = 0; s < 3; ++s)
      lateral_[s] =
          register_module("lateral" + std::to_string(s + 3), std::make_shared<ConvBnRelu>(widths[s + 2], d, 1, 1, gen));
    // Side heads: fuse the top-down features with the edge features.
    for (int s = 0; s < 3; ++s) {
      fuse_[s] = register_module("fuse" + std::to_string(s + 3), std::make_shared<ConvBnRelu>(d + e, d, 3, 1, gen));
      side_[s] = register_module("side" + std::to_string(s + 3),
                                 std::make_shared<nn::Conv2d>(nn::Conv2dOptions(d, 1, 1), gen));
    }
    proj_ = register_module("proj", std::make_shared<nn::Linear>(d, cfg.embed_dim, true, gen));
    if (cfg.head == "full") {
      lateral1_ = register_module("lateral1", std::make_shared<ConvBnRelu>(widths[0], d, 1, 1, gen));
      head_fuse_ = register_module("head_fuse", std::make_shared<ConvBnRelu>(2 * d, d, 3, 1, gen));
      head_ = register_module("head", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(d, 1, 1), gen));
    }
    if (cfg.top_down == 2)
      lateral2_ = register_module("lateral2", std::make_shared<ConvBnRelu>(widths[1], d, 1, 1, gen));
  }

  SegOutput forward_seg(const Tensor& x, bool need_features) override {
    check_net_input("fbdnet", x, in_channels_);
    Tensor f[5];
    Tensor h = stem_ ? stem_->forward(x) : x;
    for (int s = 0; s < 5; ++s) {
      if (s > 0 && cfg_.downsample == "maxpool") h = nn::max_pool2d(h, nn::PoolParams::square(2));
      h = f[s] = stages_[s]->forward(h);
    }

    // Edge attention: features e, edge logits, and e weighted by (1 + sigmoid(edge)).
    SegOutput out;
    Tensor edge_features;  // undefined without the module
    if (bam_) {
      const Tensor e = bam_->forward(f[cfg_.bam_stage - 1]);
      const Tensor edge_logits = edge_head_->forward(e);
      edge_features = resize_like(mul(e, add_scalar(sigmoid(edge_logits), 1.0f)), f[1]);  // fused at stage 2
      out.edge = resize_like(edge_logits, x);
    }
    const bool edges = edge_features.defined();
    Tensor finest_features;
    if (cfg_.decoder == "unet") {
      Tensor g = f[4];
      for (int s = 3; s >= 0; --s) {
        const Tensor up = up_[s] ? up_[s]->forward(g) : resize_like(g, f[s]);  // the edge features join at stage 2
        g = dec_[s]->forward(s == 1 && edges ? concat({up, f[s], edge_features}, 1) : concat({up, f[s]}, 1));
        if (s >= 1 && s <= 3) out.sides.insert(out.sides.begin(), resize_like(side_[s - 1]->forward(g), x));
      }
      finest_features = g;
      out.sides.insert(out.sides.begin(), resize_like(head_->forward(g), x));
      return finish(x, std::move(out), finest_features, need_features);
    }

    // Top-down: d5, d4 = lateral4 + up(d5), d3 = lateral3 + up(d4).
    Tensor d[3];
    d[2] = lateral_[2]->forward(f[4]);
    d[1] = add(lateral_[1]->forward(f[3]), resize_like(d[2], f[3]));
    d[0] = add(lateral_[0]->forward(f[2]), resize_like(d[1], f[2]));
    // At stage-2 resolution, where the sides are fused: the stage-3 sum, upsampled, plus stage 2's
    // own lateral where the path reaches it.
    Tensor d2 = resize_like(d[0], f[1]);
    if (lateral2_) d2 = add(lateral2_->forward(f[1]), d2);

    for (int s = 0; s < 3; ++s) {
      const Tensor top = s == 0 ? d2 : resize_like(d[s], f[1]);
      const Tensor fused = fuse_[s]->forward(edges ? concat({top, edge_features}, 1) : top);
      if (s == 0) finest_features = fused;
      out.sides.push_back(resize_like(side_[s]->forward(fused), x));
    }
    if (head_) {  // the global head on layer 1: full resolution, listed first among the sides
      finest_features = head_fuse_->forward(concat({resize_like(finest_features, f[0]), lateral1_->forward(f[0])}, 1));
      out.sides.insert(out.sides.begin(), resize_like(head_->forward(finest_features), x));
    }
    return finish(x, std::move(out), finest_features, need_features);
  }

  Tensor project(const Tensor& embeddings) override { return proj_->forward(embeddings); }

 private:
  // The prediction from the sides (the first, or their mean) and the shape-aware term's features.
  SegOutput finish(const Tensor& x, SegOutput out, const Tensor& finest_features, bool need_features) const {
    if (cfg_.fusion == "mean") {
      out.pred = out.sides[0];
      for (size_t i = 1; i < out.sides.size(); ++i) out.pred = add(out.pred, out.sides[i]);
      out.pred = mul_scalar(out.pred, 1.0f / static_cast<float>(out.sides.size()));
    } else {
      out.pred = out.sides[0];
    }
    if (need_features) out.features = resize_like(finest_features, x);
    return out;
  }

  NetConfig cfg_;
  std::shared_ptr<ConvBnRelu> stem_, bam_;
  std::shared_ptr<nn::Sequential> stages_[5];
  std::shared_ptr<nn::Conv2d> edge_head_, side_[3];
  std::shared_ptr<ConvBnRelu> lateral_[3], fuse_[3];
  std::shared_ptr<ConvBnRelu> lateral1_, head_fuse_;  // head "full" only
  std::shared_ptr<ConvBnRelu> lateral2_;              // top_down 2 only
  std::shared_ptr<DoubleConv> dec_[4];                // decoder "unet" only
  std::shared_ptr<nn::ConvTranspose2d> up_[4];        // decoder "unet", upsample "transposed" only
  std::shared_ptr<nn::Conv2d> head_;
  std::shared_ptr<nn::Linear> proj_;
};

}  // namespace

std::shared_ptr<SegNet> make_fbdnet(const NetConfig& c, Generator& gen) { return std::make_shared<FbdNet>(c, gen); }

}  // namespace fbd::app
