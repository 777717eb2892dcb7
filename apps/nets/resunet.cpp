// ResUNet, a baseline of Table 3: the deep residual U-Net of Zhang, Liu & Wang, "Road extraction
// by deep residual U-Net", IEEE Geoscience and Remote Sensing Letters 15(5), 2018 (their Fig. 1
// and Table I), in 2-d with one input channel and --width c in place of their 64.
//
//   encoder  level 1 (c):   conv3x3 -> BN -> ReLU -> conv3x3, plus the input through a 1x1 conv + BN
//            level 2 (2c):  pre-activation residual unit, stride 2 (H/2)
//            level 3 (4c):  pre-activation residual unit, stride 2 (H/4)
//   bridge   level 4 (8c):  pre-activation residual unit, stride 2 (H/8)
//   decoder  levels 5-7 (4c, 2c, c): 2x upsampling, concatenation with the encoder level of that
//            resolution, a pre-activation residual unit (stride 1)
//   output   1x1 conv -> one logit per pixel
//
// A pre-activation residual unit (He et al. 2016, "Identity mappings in deep residual networks")
// is BN -> ReLU -> conv3x3 (stride s) -> BN -> ReLU -> conv3x3, added to the shortcut: the input
// itself when the stride is 1 and the width does not change, otherwise a 1x1 conv (stride s) + BN
// (as the paper's public Keras versions project it). Down-sampling is the stride-2 first conv
// of levels 2-4; there is no pooling. Convs followed by BN have no bias.
//
// Where fbd differs from the paper: the up-sampling is bilinear (the paper's Keras UpSampling2D
// is nearest-neighbour; the engine has bilinear resizing only), and the paper trained with the
// mean squared error, which fbd does not offer: `--loss` defaults to soft Dice for this network
// (net_registry.cpp). Three down-samplings, as the paper: inputs need H, W multiples of 8; the
// app asks for multiples of 16 like every network.
#include "apps/nets/blocks.h"
#include "apps/nets/net_registry.h"

namespace fbd::app {

namespace {

std::shared_ptr<nn::Conv2d> conv(int64_t in, int64_t out, int64_t k, int64_t stride, bool bias, Generator& gen) {
  return std::make_shared<nn::Conv2d>(nn::Conv2dOptions(in, out, k).stride(stride).padding(k / 2).bias(bias), gen);
}

// BN -> ReLU -> conv3x3(stride) -> BN -> ReLU -> conv3x3, plus the shortcut. With `first`
// (level 1) the unit starts with the conv: conv3x3 -> BN -> ReLU -> conv3x3 (the input is the image).
class PreActUnit : public nn::Module {
 public:
  PreActUnit(int64_t in, int64_t out, int64_t stride, bool first, Generator& gen) : Module("PreActUnit") {
    if (!first) bn1_ = register_module("bn1", std::make_shared<nn::BatchNorm2d>(in));
    conv1_ = register_module("conv1", conv(in, out, 3, stride, false, gen));
    bn2_ = register_module("bn2", std::make_shared<nn::BatchNorm2d>(out));
    conv2_ = register_module("conv2", conv(out, out, 3, 1, true, gen));
    if (stride != 1 || in != out) {
      skip_ = register_module("skip", conv(in, out, 1, stride, false, gen));
      skip_bn_ = register_module("skip_bn", std::make_shared<nn::BatchNorm2d>(out));
    }
  }
  Tensor forward(const Tensor& x) override {
    const Tensor a = bn1_ ? relu(bn1_->forward(x)) : x;
    const Tensor y = conv2_->forward(relu(bn2_->forward(conv1_->forward(a))));
    return add(y, skip_ ? skip_bn_->forward(skip_->forward(x)) : x);
  }

 private:
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn2_, skip_bn_;
  std::shared_ptr<nn::Conv2d> conv1_, conv2_, skip_;
};

class ResUNet : public SegNet {
 public:
  ResUNet(const NetConfig& cfg, Generator& gen) : SegNet("ResUNet") {
    in_channels_ = cfg.in_channels;
    const int64_t c = cfg.width, w[4] = {c, 2 * c, 4 * c, 8 * c};
    for (int l = 0; l < 4; ++l)  // levels 1-3 and the bridge
      enc_[l] = register_module(
          l == 3 ? std::string("bridge") : "enc" + std::to_string(l + 1),
          std::make_shared<PreActUnit>(l == 0 ? cfg.in_channels : w[l - 1], w[l], l == 0 ? 1 : 2, l == 0, gen));
    for (int l = 2; l >= 0; --l)  // levels 5-7: up(w[l+1]) ++ skip(w[l]) -> w[l]
      dec_[l] = register_module("dec" + std::to_string(l + 1),
                                std::make_shared<PreActUnit>(w[l + 1] + w[l], w[l], 1, false, gen));
    head_ = register_module("head", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(c, 1, 1), gen));
    proj_ = register_module("proj", std::make_shared<nn::Linear>(c, cfg.embed_dim, true, gen));
  }

  SegOutput forward_seg(const Tensor& x, bool need_features) override {
    check_net_input("resunet", x, in_channels_);
    Tensor skip[3];
    Tensor h = x;
    for (int l = 0; l < 4; ++l) {
      h = enc_[l]->forward(h);
      if (l < 3) skip[l] = h;
    }
    for (int l = 2; l >= 0; --l) h = dec_[l]->forward(concat({resize_like(h, skip[l]), skip[l]}, 1));
    return single_output(head_->forward(h), h, need_features);
  }

  Tensor project(const Tensor& embeddings) override { return proj_->forward(embeddings); }

 private:
  std::shared_ptr<PreActUnit> enc_[4], dec_[3];
  std::shared_ptr<nn::Conv2d> head_;
  std::shared_ptr<nn::Linear> proj_;
};

}  // namespace

std::shared_ptr<SegNet> make_resunet(const NetConfig& c, Generator& gen) { return std::make_shared<ResUNet>(c, gen); }

}  // namespace fbd::app
