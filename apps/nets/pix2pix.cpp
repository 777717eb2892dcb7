// pix2pix (Isola et al. 2017): the U-Net generator and the 70x70 PatchGAN discriminator,
// as apps/nets/pix2pix.h describes them. The layer order and the initialisation follow the
// paper's code (pytorch-CycleGAN-and-pix2pix, UnetGenerator and NLayerDiscriminator with batch
// norm); tests/reference/make_pix2pix_fixtures.py holds the PyTorch twin of this file.
#include "apps/nets/pix2pix.h"

#include "apps/nets/blocks.h"
#include "apps/nets/net_registry.h"

namespace fbd::app {

namespace {

constexpr float kSlope = 0.2f;     // LeakyReLU of the encoder and the discriminator
constexpr float kDropout = 0.5f;   // on the first two decoder layers
constexpr int kDown = 4;           // down-samplings of the generator
constexpr float kInitStd = 0.02f;  // N(0, 0.02) weights, N(1, 0.02) batch-norm scales

nn::Conv2dOptions conv4(int64_t in, int64_t out, int64_t stride, bool bias) {
  return nn::Conv2dOptions(in, out, 4).stride(stride).padding(1).bias(bias);
}

// The paper's init_weights('normal', 0.02): redraws the weights the layers made.
void init_conv(const Tensor& weight, const Tensor& bias, Generator& gen) {
  Tensor w = weight;
  normal_(w, 0.0f, kInitStd, gen);
  if (bias.defined()) {
    Tensor b = bias;
    fill_(b, 0.0f);
  }
}
void init_bn(const nn::BatchNorm2d& bn, Generator& gen) {
  Tensor w = bn.weight(), b = bn.bias();
  normal_(w, 1.0f, kInitStd, gen);
  fill_(b, 0.0f);
}

// A 4x4 stride-2 convolution and its batch norm (none on the first and innermost layers).
class Down : public nn::Module {
 public:
  Down(int64_t in, int64_t out, bool bn, Generator& gen) : Module("Down") {
    conv_ = register_module("conv", std::make_shared<nn::Conv2d>(conv4(in, out, 2, false), gen));
    init_conv(conv_->weight(), conv_->bias(), gen);
    if (bn) {
      bn_ = register_module("bn", std::make_shared<nn::BatchNorm2d>(out));
      init_bn(*bn_, gen);
    }
  }
  // `activate`: LeakyReLU before the convolution (every layer but the first).
  Tensor forward_down(const Tensor& x, bool activate) {
    const Tensor y = conv_->forward(activate ? nn::leaky_relu(x, kSlope) : x);
    return bn_ ? bn_->forward(y) : y;
  }

 private:
  std::shared_ptr<nn::Conv2d> conv_;
  std::shared_ptr<nn::BatchNorm2d> bn_;
};

// ReLU -> 4x4 stride-2 transposed convolution -> batch norm (the last layer: no batch norm,
// a bias, one output channel).
class Up : public nn::Module {
 public:
  Up(int64_t in, int64_t out, bool last, Generator& gen) : Module("Up") {
    conv_ = register_module("conv", std::make_shared<nn::ConvTranspose2d>(conv4(in, out, 2, last), gen));
    init_conv(conv_->weight(), conv_->bias(), gen);
    if (!last) {
      bn_ = register_module("bn", std::make_shared<nn::BatchNorm2d>(out));
      init_bn(*bn_, gen);
    }
  }
  Tensor forward(const Tensor& x) override {
    const Tensor y = conv_->forward(relu(x));
    return bn_ ? bn_->forward(y) : y;
  }

 private:
  std::shared_ptr<nn::ConvTranspose2d> conv_;
  std::shared_ptr<nn::BatchNorm2d> bn_;
};

class UnetGenerator : public nn::Module {
 public:
  UnetGenerator(int64_t in_channels, int64_t c, int64_t embed_dim, Generator& gen, fbd::Generator& noise)
      : Module("UnetGenerator"), noise_(&noise) {
    const int64_t w[kDown] = {c, 2 * c, 4 * c, 8 * c};
    for (int l = 0; l < kDown; ++l)
      down_[l] =
          register_module("down" + std::to_string(l + 1),
                          std::make_shared<Down>(l == 0 ? in_channels : w[l - 1], w[l], l > 0 && l < kDown - 1, gen));
    // up(l) undoes down(l): from the innermost (input w[3]) to the outermost (output 1 channel);
    // every up but the innermost reads its predecessor's output concatenated after its skip.
    for (int l = kDown - 1; l >= 0; --l) {
      const int64_t in = l == kDown - 1 ? w[l] : 2 * w[l];
      const int64_t out = l == 0 ? 1 : w[l - 1];
      up_[l] = register_module("up" + std::to_string(l + 1), std::make_shared<Up>(in, out, l == 0, gen));
    }
    proj_ = register_module("proj", std::make_shared<nn::Linear>(2 * c, embed_dim, true, gen));
  }

  // Logits [N,1,H,W]; `features` receives the last decoder features ([N,2c,H/2,W/2]).
  Tensor forward_gen(const Tensor& x, Tensor* features) {
    Tensor skip[kDown];
    Tensor h = x;
    for (int l = 0; l < kDown; ++l) h = skip[l] = down_[l]->forward_down(h, l > 0);
    for (int l = kDown - 1; l >= 1; --l) {
      Tensor u = up_[l]->forward(h);
      if (l >= kDown - 2) u = nn::dropout(u, kDropout, is_training(), *noise_);  // the first two decoder layers
      h = concat({skip[l - 1], u}, 1);
    }
    if (features) *features = h;
    return up_[0]->forward(h);
  }
  Tensor forward(const Tensor& x) override { return forward_gen(x, nullptr); }
  Tensor project(const Tensor& embeddings) { return proj_->forward(embeddings); }

 private:
  fbd::Generator* noise_;
  std::shared_ptr<Down> down_[kDown];
  std::shared_ptr<Up> up_[kDown];
  std::shared_ptr<nn::Linear> proj_;  // the shape-aware loss's projection head
};

// NLayerDiscriminator(n_layers = 3) under the same child names ("model.0", "model.2", ...).
class PatchDiscriminator : public nn::Module {
 public:
  PatchDiscriminator(int64_t in, int64_t c, Generator& gen) : Module("NLayerDiscriminator") {
    model_ = register_module("model", std::make_shared<nn::Sequential>());
    const int64_t w[4] = {c, 2 * c, 4 * c, 8 * c};
    for (int l = 0; l < 4; ++l) {
      auto conv = model_->add(std::make_shared<nn::Conv2d>(conv4(l == 0 ? in : w[l - 1], w[l], l < 3 ? 2 : 1, l == 0), gen));
      init_conv(conv->weight(), conv->bias(), gen);
      if (l > 0) init_bn(*model_->add(std::make_shared<nn::BatchNorm2d>(w[l])), gen);
      model_->add(std::make_shared<nn::LeakyReLU>(kSlope));
    }
    auto head = model_->add(std::make_shared<nn::Conv2d>(conv4(w[3], 1, 1, true), gen));
    init_conv(head->weight(), head->bias(), gen);
  }
  Tensor forward(const Tensor& x) override { return model_->forward(x); }

 private:
  std::shared_ptr<nn::Sequential> model_;
};

class Pix2Pix : public AdversarialNet {
 public:
  Pix2Pix(const NetConfig& cfg, Generator& gen) : AdversarialNet("Pix2Pix") {
    const int64_t c = cfg.width;
    in_channels_ = cfg.in_channels;
    generator_ =
        register_module("generator", std::make_shared<UnetGenerator>(cfg.in_channels, c, cfg.embed_dim, gen, noise_));
    // It judges the image's channels and the mask together.
    discriminator_ =
        register_module("discriminator", std::make_shared<PatchDiscriminator>(cfg.in_channels + 1, c, gen));
  }

  SegOutput forward_seg(const Tensor& x, bool need_features) override {
    check_net_input("pix2pix", x, in_channels_);
    Tensor h;
    const Tensor logits = generator_->forward_gen(x, need_features ? &h : nullptr);
    return single_output(logits, need_features ? resize_like(h, x) : Tensor(), need_features);
  }

  Tensor project(const Tensor& embeddings) override { return generator_->project(embeddings); }

  Tensor discriminate(const Tensor& image, const Tensor& mask) override {
    FBD_CHECK(image.dim() == 4 && image.size(2) >= kPatchGanMinSize && image.size(3) >= kPatchGanMinSize,
              "pix2pix: the PatchGAN discriminator needs inputs of at least ", kPatchGanMinSize, "x", kPatchGanMinSize,
              ", got ", shape_str(image.shape()));
    FBD_CHECK(mask.dim() == 4 && mask.size(0) == image.size(0) && mask.size(1) == 1 && mask.size(2) == image.size(2) &&
                  mask.size(3) == image.size(3),
              "pix2pix: the discriminator's mask must be [N, 1, H, W] for images ", shape_str(image.shape()), ", got ",
              shape_str(mask.shape()));
    return discriminator_->forward(concat({image, mask}, 1));
  }

  nn::Module& generator() override { return *generator_; }
  nn::Module& discriminator() override { return *discriminator_; }

  void reseed_noise(uint64_t key) override { noise_.manual_seed(key); }

 private:
  fbd::Generator noise_{0};  // the dropout masks of the generator (reseed_noise)
  std::shared_ptr<UnetGenerator> generator_;
  std::shared_ptr<PatchDiscriminator> discriminator_;
};

}  // namespace

bool is_adversarial_net(const std::string& net) { return net == "pix2pix"; }

std::shared_ptr<SegNet> make_pix2pix(const NetConfig& c, Generator& gen) { return std::make_shared<Pix2Pix>(c, gen); }

}  // namespace fbd::app
