// Baselines of Table 3: U-Net (Ronneberger et al. 2015) and Attention U-Net (Oktay et al.
// 2018), with batch norm, four 2x down-samplings and widths c, 2c, 4c, 8c, 16c.
#include <stdexcept>

#include "apps/nets/blocks.h"
#include "apps/nets/net_registry.h"

namespace fbd::app {

namespace {

// Additive attention gate: alpha = sigmoid(psi(relu(Wx x + Wg g))), output x * alpha, with g the
// decoder's up-sampled features at x's resolution.
class AttentionGate : public nn::Module {
 public:
  AttentionGate(int64_t cx, int64_t cg, int64_t inner, Generator& gen) : Module("AttentionGate") {
    wx_ = register_module("wx", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(cx, inner, 1).bias(false), gen));
    wg_ = register_module("wg", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(cg, inner, 1), gen));
    psi_ = register_module("psi", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(inner, 1, 1), gen));
  }
  Tensor gate(const Tensor& x, const Tensor& g) {
    const Tensor alpha = sigmoid(psi_->forward(relu(add(wx_->forward(x), wg_->forward(g)))));
    return mul(x, alpha);  // [N,C,H,W] * [N,1,H,W]
  }

 private:
  std::shared_ptr<nn::Conv2d> wx_, wg_, psi_;
};

class UNet : public SegNet {
 public:
  UNet(const NetConfig& cfg, Generator& gen, bool attention)
      : SegNet(attention ? "AttUNet" : "UNet"), attention_(attention) {
    in_channels_ = cfg.in_channels;
    const int64_t c = cfg.width;
    const int64_t w[5] = {c, 2 * c, 4 * c, 8 * c, 16 * c};
    for (int l = 0; l < 5; ++l)
      enc_[l] = register_module("enc" + std::to_string(l + 1),
                                std::make_shared<DoubleConv>(l == 0 ? cfg.in_channels : w[l - 1], w[l], gen));
    for (int l = 3; l >= 0; --l) {
      up_[l] = register_module("up" + std::to_string(l + 1), std::make_shared<nn::ConvTranspose2d>(
                                                                 nn::Conv2dOptions(w[l + 1], w[l], 2).stride(2), gen));
      if (attention)
        gate_[l] = register_module("gate" + std::to_string(l + 1),
                                   std::make_shared<AttentionGate>(w[l], w[l], std::max<int64_t>(w[l] / 2, 1), gen));
      dec_[l] = register_module("dec" + std::to_string(l + 1), std::make_shared<DoubleConv>(2 * w[l], w[l], gen));
    }
    head_ = register_module("head", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(c, 1, 1), gen));
    proj_ = register_module("proj", std::make_shared<nn::Linear>(c, cfg.embed_dim, true, gen));
  }

  SegOutput forward_seg(const Tensor& x, bool need_features) override {
    check_net_input(attention_ ? "attunet" : "unet", x, in_channels_);
    Tensor skip[5];
    Tensor h = x;
    for (int l = 0; l < 5; ++l) {
      if (l > 0) h = nn::max_pool2d(h, nn::PoolParams::square(2));
      h = skip[l] = enc_[l]->forward(h);
    }
    for (int l = 3; l >= 0; --l) {
      const Tensor up = up_[l]->forward(h);
      const Tensor s = attention_ ? gate_[l]->gate(skip[l], up) : skip[l];
      h = dec_[l]->forward(concat({s, up}, 1));
    }
    return single_output(head_->forward(h), h, need_features);
  }

  Tensor project(const Tensor& embeddings) override { return proj_->forward(embeddings); }

 private:
  bool attention_;
  std::shared_ptr<DoubleConv> enc_[5], dec_[4];
  std::shared_ptr<nn::ConvTranspose2d> up_[4];
  std::shared_ptr<AttentionGate> gate_[4];
  std::shared_ptr<nn::Conv2d> head_;
  std::shared_ptr<nn::Linear> proj_;
};

}  // namespace

std::shared_ptr<SegNet> make_unet(const NetConfig& c, Generator& gen) { return std::make_shared<UNet>(c, gen, false); }
std::shared_ptr<SegNet> make_attunet(const NetConfig& c, Generator& gen) {
  return std::make_shared<UNet>(c, gen, true);
}

}  // namespace fbd::app
