// DenseUNet, a baseline of Table 3: a U-Net whose encoder and decoder stages are dense blocks.
// It follows the 2-d DenseUNet of Li et al., "H-DenseUNet: hybrid densely connected UNet for
// liver and tumor segmentation from CT volumes", IEEE TMI 37(12), 2018 (a DenseNet encoder with
// skip connections into an up-sampling decoder), with the dense blocks and transition layers of
// DenseNet (Huang et al., "Densely connected convolutional networks", CVPR 2017) and, for the
// decoder, the dense up-path of the fully convolutional DenseNet (Jegou et al., "The one hundred
// layers tiramisu", CVPR Workshops 2017): there a decoder block passes on only the feature maps
// it adds, which keeps the width bounded. Small enough to train on a CPU; H-DenseUNet itself
// uses DenseNet-161 (growth 48, blocks of 6, 12, 36, 24 layers) on 224 px slices.
//
// --width c: the stem has c channels and the growth rate is k = c / 2 (DenseNet's stem of 2k);
// every dense block has 4 layers.
//   dense layer  BN -> ReLU -> conv3x3 (k maps), fed the concatenation of the block's input and
//                every earlier layer's maps; a block returns its input and all 4k new maps
//   stem         conv3x3, 1 -> c
//   encoder      levels 1-4 at H, H/2, H/4, H/8: a dense block (its output is the skip), then a
//                transition: BN -> ReLU -> conv1x1 halving the channels (DenseNet-BC's
//                compression 0.5) -> 2x2 average pooling
//   bottleneck   a dense block at H/16; its 4k new maps go up
//   decoder      levels 4-1: 2x2 stride-2 transposed conv (4k -> 4k), concatenated with the skip,
//                a dense block; levels 4-2 pass on their 4k new maps, level 1 its whole output
//   output       BN -> ReLU (DenseNet's final normalisation) -> 1x1 conv -> one logit per pixel
// Convs that a BN follows or precedes have no bias, as DenseNet's; the transposed convs and the
// output conv have one. No dropout.
//
// H-DenseUNet was trained with a weighted cross-entropy; `--loss` defaults to fbd's BCE for this
// network (net_registry.cpp).
#include <algorithm>

#include "apps/nets/blocks.h"
#include "apps/nets/net_registry.h"

namespace fbd::app {

namespace {

constexpr int kLayers = 4;  // per dense block

// BN -> ReLU -> conv (k x k, no bias).
class BnReluConv : public nn::Module {
 public:
  BnReluConv(int64_t in, int64_t out, int64_t k, Generator& gen) : Module("BnReluConv") {
    bn_ = register_module("bn", std::make_shared<nn::BatchNorm2d>(in));
    conv_ = register_module(
        "conv", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(in, out, k).padding(k / 2).bias(false), gen));
  }
  Tensor forward(const Tensor& x) override { return conv_->forward(relu(bn_->forward(x))); }

 private:
  std::shared_ptr<nn::BatchNorm2d> bn_;
  std::shared_ptr<nn::Conv2d> conv_;
};

class DenseBlock : public nn::Module {
 public:
  DenseBlock(int64_t in, int64_t growth, Generator& gen) : Module("DenseBlock"), in_(in) {
    for (int i = 0; i < kLayers; ++i)
      layers_[i] = register_module("layer" + std::to_string(i + 1),
                                   std::make_shared<BnReluConv>(in + i * growth, growth, 3, gen));
  }
  // The block's input followed by every layer's maps (in + kLayers * growth channels).
  Tensor forward(const Tensor& x) override {
    Tensor h = x;
    for (const auto& layer : layers_) h = concat({h, layer->forward(h)}, 1);
    return h;
  }
  // Only the maps the block added (the last kLayers * growth channels of `out`).
  Tensor new_maps(const Tensor& out) const { return slice(out, 1, in_, out.size(1)); }

 private:
  int64_t in_;
  std::shared_ptr<BnReluConv> layers_[kLayers];
};

class DenseUNet : public SegNet {
 public:
  DenseUNet(const NetConfig& cfg, Generator& gen) : SegNet("DenseUNet") {
    in_channels_ = cfg.in_channels;
    const int64_t c = cfg.width, k = std::max<int64_t>(1, c / 2), added = kLayers * k;
    stem_ = register_module(
        "stem", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(cfg.in_channels, c, 3).padding(1).bias(false), gen));
    int64_t ch = c, skip_ch[4] = {};
    for (int l = 0; l < 4; ++l) {
      enc_[l] = register_module("enc" + std::to_string(l + 1), std::make_shared<DenseBlock>(ch, k, gen));
      skip_ch[l] = ch + added;
      down_[l] = register_module("down" + std::to_string(l + 1),
                                 std::make_shared<BnReluConv>(skip_ch[l], skip_ch[l] / 2, 1, gen));
      ch = skip_ch[l] / 2;
    }
    bottom_ = register_module("bottom", std::make_shared<DenseBlock>(ch, k, gen));
    for (int l = 3; l >= 0; --l) {
      up_[l] = register_module("up" + std::to_string(l + 1), std::make_shared<nn::ConvTranspose2d>(
                                                                 nn::Conv2dOptions(added, added, 2).stride(2), gen));
      dec_[l] =
          register_module("dec" + std::to_string(l + 1), std::make_shared<DenseBlock>(added + skip_ch[l], k, gen));
    }
    const int64_t out_ch = 2 * added + skip_ch[0];
    head_bn_ = register_module("head_bn", std::make_shared<nn::BatchNorm2d>(out_ch));
    head_ = register_module("head", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(out_ch, 1, 1), gen));
    proj_ = register_module("proj", std::make_shared<nn::Linear>(out_ch, cfg.embed_dim, true, gen));
  }

  SegOutput forward_seg(const Tensor& x, bool need_features) override {
    check_net_input("denseunet", x, in_channels_);
    Tensor skip[4];
    Tensor h = stem_->forward(x);
    for (int l = 0; l < 4; ++l) {
      skip[l] = enc_[l]->forward(h);
      h = nn::avg_pool2d(down_[l]->forward(skip[l]), nn::PoolParams::square(2));
    }
    h = bottom_->new_maps(bottom_->forward(h));
    for (int l = 3; l >= 0; --l) {
      const Tensor out = dec_[l]->forward(concat({up_[l]->forward(h), skip[l]}, 1));
      h = l > 0 ? dec_[l]->new_maps(out) : out;
    }
    h = relu(head_bn_->forward(h));
    return single_output(head_->forward(h), h, need_features);
  }

  Tensor project(const Tensor& embeddings) override { return proj_->forward(embeddings); }

 private:
  std::shared_ptr<nn::Conv2d> stem_, head_;
  std::shared_ptr<DenseBlock> enc_[4], bottom_, dec_[4];
  std::shared_ptr<BnReluConv> down_[4];
  std::shared_ptr<nn::ConvTranspose2d> up_[4];
  std::shared_ptr<nn::BatchNorm2d> head_bn_;
  std::shared_ptr<nn::Linear> proj_;
};

}  // namespace

std::shared_ptr<SegNet> make_denseunet(const NetConfig& c, Generator& gen) {
  return std::make_shared<DenseUNet>(c, gen);
}

}  // namespace fbd::app
