// V-Net in 2-d, a baseline of Table 3: Milletari, Navab & Ahmadi, "V-Net: fully convolutional
// neural networks for volumetric medical image segmentation", 3DV 2016 (their Fig. 1), with the
// 5x5x5 convolutions made 5x5 and --width c in place of their 16 channels.
//
//   every conv    5x5, padding 2, with a bias, followed by a PReLU (one slope per channel, 0.25 at
//                 the start); no batch norm, as the paper
//   a stage       n such convs, and the stage's input added to the last one's output (a residual
//                 function); the sum goes on without another activation
//   encoder       stage 1 at H (c channels, 1 conv): the image, repeated over the c channels, is
//                 the residual; stages 2, 3, 4 at H/2, H/4, H/8 (2c, 4c, 8c; 2, 3, 3 convs) and
//                 the bottom stage at H/16 (16c, 3 convs), each entered through a 2x2 stride-2
//                 conv + PReLU that doubles the channels
//   decoder       at H/8, H/4, H/2, H: a 2x2 stride-2 transposed conv + PReLU to the skip's width
//                 (8c, 4c, 2c, c), concatenated with the skip (the encoder stage of that
//                 resolution), then a stage of 3, 3, 2, 1 convs on the concatenation (16c, 8c, 4c,
//                 2c channels)
//   output        1x1 conv, 2c -> one logit per pixel (the paper: two maps and a soft-max)
//
// The paper trained with its Dice loss; `--loss` defaults to soft Dice for this network
// (net_registry.cpp). The 5x5 stages are large: at width 16 the network has 13.3 million
// parameters, three quarters of them in the bottom stage and the first decoder stage (16c
// channels, 3 convs each).
#include "apps/nets/blocks.h"
#include "apps/nets/net_registry.h"

namespace fbd::app {

namespace {

// conv k x k with a bias (k = 2: stride 2, the down-sampling; k = 5: padding 2), then PReLU per channel.
class ConvPrelu : public nn::Module {
 public:
  ConvPrelu(int64_t in, int64_t out, int64_t k, Generator& gen) : Module("ConvPrelu") {
    nn::Conv2dOptions o(in, out, k);
    if (k == 2)
      o.stride(2);
    else
      o.padding(k / 2);
    conv_ = register_module("conv", std::make_shared<nn::Conv2d>(o, gen));
    act_ = register_module("act", std::make_shared<nn::PReLU>(out));
  }
  Tensor forward(const Tensor& x) override { return act_->forward(conv_->forward(x)); }

 private:
  std::shared_ptr<nn::Conv2d> conv_;
  std::shared_ptr<nn::PReLU> act_;
};

// n ConvPrelu 5x5 at `ch` channels; the input is added to the last one's output.
class Stage : public nn::Module {
 public:
  Stage(int64_t in, int64_t ch, int n, Generator& gen) : Module("Stage") {
    for (int i = 0; i < n; ++i) convs_->add(std::make_shared<ConvPrelu>(i == 0 ? in : ch, ch, 5, gen));
    register_module("convs", convs_);
  }
  // The sum broadcasts over the channels where the input has one (stage 1 adds the image, as
  // V-Net adds its one-channel volume); an image of several channels adds their mean.
  Tensor forward(const Tensor& x) override {
    const Tensor y = convs_->forward(x);
    return add(y, x.size(1) > 1 && x.size(1) != y.size(1) ? mean(x, {1}, true) : x);
  }

 private:
  std::shared_ptr<nn::Sequential> convs_ = std::make_shared<nn::Sequential>();
};

// 2x2 stride-2 transposed conv, then PReLU per channel.
class UpPrelu : public nn::Module {
 public:
  UpPrelu(int64_t in, int64_t out, Generator& gen) : Module("UpPrelu") {
    conv_ =
        register_module("conv", std::make_shared<nn::ConvTranspose2d>(nn::Conv2dOptions(in, out, 2).stride(2), gen));
    act_ = register_module("act", std::make_shared<nn::PReLU>(out));
  }
  Tensor forward(const Tensor& x) override { return act_->forward(conv_->forward(x)); }

 private:
  std::shared_ptr<nn::ConvTranspose2d> conv_;
  std::shared_ptr<nn::PReLU> act_;
};

class VNet2d : public SegNet {
 public:
  VNet2d(const NetConfig& cfg, Generator& gen) : SegNet("VNet2d") {
    in_channels_ = cfg.in_channels;
    const int64_t c = cfg.width, w[5] = {c, 2 * c, 4 * c, 8 * c, 16 * c};
    const int enc_convs[5] = {1, 2, 3, 3, 3}, dec_convs[4] = {1, 2, 3, 3};  // decoder by level, finest first
    for (int l = 0; l < 5; ++l) {
      if (l > 0)
        down_[l - 1] =
            register_module("down" + std::to_string(l + 1), std::make_shared<ConvPrelu>(w[l - 1], w[l], 2, gen));
      enc_[l] = register_module("enc" + std::to_string(l + 1),
                                std::make_shared<Stage>(l == 0 ? cfg.in_channels : w[l], w[l], enc_convs[l], gen));
    }
    for (int l = 3; l >= 0; --l) {
      const int64_t in = l == 3 ? w[4] : 2 * w[l + 1];  // the bottom stage, or the decoder stage below
      up_[l] = register_module("up" + std::to_string(l + 1), std::make_shared<UpPrelu>(in, w[l], gen));
      dec_[l] = register_module("dec" + std::to_string(l + 1),
                                std::make_shared<Stage>(2 * w[l], 2 * w[l], dec_convs[l], gen));
    }
    head_ = register_module("head", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(2 * c, 1, 1), gen));
    proj_ = register_module("proj", std::make_shared<nn::Linear>(2 * c, cfg.embed_dim, true, gen));
  }

  SegOutput forward_seg(const Tensor& x, bool need_features) override {
    check_net_input("vnet2d", x, in_channels_);
    Tensor skip[4];
    Tensor h = x;
    for (int l = 0; l < 5; ++l) {
      if (l > 0) h = down_[l - 1]->forward(h);
      h = enc_[l]->forward(h);
      if (l < 4) skip[l] = h;
    }
    for (int l = 3; l >= 0; --l) h = dec_[l]->forward(concat({up_[l]->forward(h), skip[l]}, 1));
    return single_output(head_->forward(h), h, need_features);
  }

  Tensor project(const Tensor& embeddings) override { return proj_->forward(embeddings); }

 private:
  std::shared_ptr<ConvPrelu> down_[4];
  std::shared_ptr<Stage> enc_[5], dec_[4];
  std::shared_ptr<UpPrelu> up_[4];
  std::shared_ptr<nn::Conv2d> head_;
  std::shared_ptr<nn::Linear> proj_;
};

}  // namespace

std::shared_ptr<SegNet> make_vnet2d(const NetConfig& c, Generator& gen) { return std::make_shared<VNet2d>(c, gen); }

}  // namespace fbd::app
