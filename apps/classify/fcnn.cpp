// FCNN: a fully convolutional classifier, no dense layers. It follows All-CNN-C of
// Springenberg, Dosovitskiy, Brox & Riedmiller, "Striving for Simplicity: The All Convolutional
// Net", ICLR 2015 workshop (Tables 1-2), whose global average pooling over a class-map
// convolution comes from Lin, Chen & Yan, "Network In Network", ICLR 2014:
//
//   dropout 0.2 on the input
//   3x3 conv 96, ReLU; 3x3 conv 96, ReLU; 3x3 conv 96 stride 2, ReLU; dropout 0.5
//   3x3 conv 192, ReLU; 3x3 conv 192, ReLU; 3x3 conv 192 stride 2, ReLU; dropout 0.5
//   3x3 conv 192 (no padding), ReLU; 1x1 conv 192, ReLU
//   1x1 conv to the classes (here one map), global average pooling -> the logit
//
// All 3x3 convolutions but the one before the 1x1s pad by 1. Two changes: the class map has no
// ReLU (All-CNN-C puts one before its softmax over ten maps; on a single logit it would pin
// every probability at 1/2 or above), and the input size sets the depth: the paper's 32 px
// input has two stride-2 stages (a last grid of 8, 6 after the unpadded 3x3); a larger input
// gets one more stage of the same form at 192 channels per halving needed to bring the grid to
// 8 or less (64 px: three stages; 224 px: five). Width multiplier m: every convolution's
// channels. Convolutions are initialised He normal (fan_in) with zero bias (the paper trains
// from scratch; without batch norm the default PyTorch initialisation fades the signal over
// eleven layers).
#include "apps/classify/cnn_common.h"
#include "core/error.h"

namespace fbd::app {

int fcnn_reductions(int64_t input_size) {
  FBD_CHECK(input_size >= 32, "fcnn needs --input-size of at least 32, got ", input_size);
  int stages = 0;
  for (int64_t side = input_size; stages < 2 || side > 8; ++stages) side = (side - 1) / 2 + 1;
  return stages;
}

namespace {

class Fcnn : public CnnNet {
 public:
  Fcnn(const CnnConfig& c, Generator& gen) : CnnNet("FCNN", c, gen) {
    const int64_t c96 = scaled_channels(96, c.width_mult), c192 = scaled_channels(192, c.width_mult);
    features_ = register_module("features", std::make_shared<nn::Sequential>());
    features_->add(dropout(0.2f));
    auto conv = [&](int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad) {
      auto cv =
          features_->add(std::make_shared<nn::Conv2d>(nn::Conv2dOptions(in, out, k).stride(stride).padding(pad), gen));
      Tensor w = cv->weight(), b = cv->bias();
      nn::init::kaiming_normal_(w, gen, 0.0, nn::init::FanMode::FanIn, nn::init::Nonlinearity::Relu);
      fill_(b, 0.0f);
      features_->add(std::make_shared<nn::ReLU>());
    };
    int64_t in = 1;
    const int stages = fcnn_reductions(c.input_size);
    for (int s = 0; s < stages; ++s) {
      const int64_t width = s == 0 ? c96 : c192;
      conv(in, width, 3, 1, 1);
      conv(width, width, 3, 1, 1);
      conv(width, width, 3, 2, 1);
      features_->add(dropout(0.5f));
      in = width;
    }
    conv(in, c192, 3, 1, 0);
    conv(c192, c192, 1, 1, 0);
    classifier_ = register_module("classifier", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(c192, 1, 1), gen));
    Tensor w = classifier_->weight(), b = classifier_->bias();
    nn::init::kaiming_normal_(w, gen, 0.0, nn::init::FanMode::FanIn, nn::init::Nonlinearity::Linear);
    fill_(b, 0.0f);
  }

  Tensor forward(const Tensor& x) override {
    return flatten(nn::global_avg_pool2d(classifier_->forward(features_->forward(x))));
  }

 private:
  std::shared_ptr<nn::Sequential> features_;
  std::shared_ptr<nn::Conv2d> classifier_;
};

}  // namespace

std::shared_ptr<nn::Module> make_fcnn(const CnnConfig& c, Generator& gen) { return std::make_shared<Fcnn>(c, gen); }

}  // namespace fbd::app
