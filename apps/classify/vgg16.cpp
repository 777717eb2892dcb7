// VGG16: configuration D of Simonyan & Zisserman, "Very Deep Convolutional Networks for
// Large-Scale Image Recognition", ICLR 2015 (Table 1): five stages of 3x3 convolutions (stride
// 1, padding 1) with ReLU, 64-64 | 128-128 | 256-256-256 | 512-512-512 | 512-512-512 channels,
// each stage closed by a 2x2 max pool of stride 2; then FC-4096, ReLU, dropout 0.5, FC-4096,
// ReLU, dropout 0.5 and the class layer (here one logit). No batch normalisation, as in the
// paper (torchvision's vgg16).
//
// Adapted to the input: the last grid is floor(S / 32) on a side (7 at the paper's 224 px, 2 at
// 64 px) and the first dense layer takes all of it flattened, so its input is 512 m floor(S/32)^2.
// Width multiplier m: every convolution's channels and the two 4096-wide layers.
// Initialisation as torchvision's: convolutions He normal (fan_out), dense layers N(0, 0.01),
// biases 0. Parameter names as torchvision's (features.0.weight ... classifier.6.bias).
#include "apps/classify/cnn_common.h"

namespace fbd::app {

namespace {

class Vgg16 : public CnnNet {
 public:
  Vgg16(const CnnConfig& c, Generator& gen) : CnnNet("VGG16", c, gen) {
    static constexpr int kConfigD[] = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};
    features_ = register_module("features", std::make_shared<nn::Sequential>());
    int64_t in = 1, side = c.input_size;
    for (int v : kConfigD) {
      if (v == 0) {
        features_->add(std::make_shared<nn::MaxPool2d>(2, 2));
        side /= 2;
        continue;
      }
      const int64_t out = scaled_channels(v, c.width_mult);
      kaiming_fan_out_(features_->add(std::make_shared<nn::Conv2d>(nn::Conv2dOptions(in, out, 3).padding(1), gen)),
                       gen);
      features_->add(std::make_shared<nn::ReLU>());
      in = out;
    }
    const int64_t hidden = scaled_channels(4096, c.width_mult);
    classifier_ = register_module("classifier", std::make_shared<nn::Sequential>());
    const std::pair<int64_t, int64_t> dense[] = {{in * side * side, hidden}, {hidden, hidden}, {hidden, 1}};
    for (int i = 0; i < 3; ++i) {
      auto fc = classifier_->add(std::make_shared<nn::Linear>(dense[i].first, dense[i].second, true, gen));
      Tensor w = fc->weight(), b = fc->bias();
      normal_(w, 0.0f, 0.01f, gen);
      fill_(b, 0.0f);
      if (i == 2) break;
      classifier_->add(std::make_shared<nn::ReLU>());
      classifier_->add(dropout(0.5f));
    }
  }

  Tensor forward(const Tensor& x) override { return classifier_->forward(flatten(features_->forward(x))); }

 private:
  std::shared_ptr<nn::Sequential> features_, classifier_;
};

}  // namespace

std::shared_ptr<nn::Module> make_vgg16(const CnnConfig& c, Generator& gen) { return std::make_shared<Vgg16>(c, gen); }

}  // namespace fbd::app
