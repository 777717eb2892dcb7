// ResNet-50: He, Zhang, Ren & Sun, "Deep Residual Learning for Image Recognition", CVPR 2016
// (Table 1, the 50-layer column).
//
//   stem      conv 7x7 stride 2 pad 3 (64), batch norm, ReLU, max 3x3 stride 2 pad 1
//   layer1-4  [3, 4, 6, 3] bottleneck blocks of widths 64, 128, 256, 512: 1x1 (width), 3x3
//             (width), 1x1 (4 width), each followed by batch norm, ReLU after the first two and
//             after the sum with the shortcut; the shortcut is the identity, or a 1x1 conv and
//             batch norm (the paper's option B) where the shape changes
//   head      global average pooling, FC (here one logit)
//
// The first block of layer2-4 down-samples with stride 2 on its first 1x1 convolution, as the
// paper has it (torchvision's resnet50 puts the stride on the 3x3 instead: "ResNet v1.5").
// The network is fully convolutional up to the pooling, so any input of 32 px or more works
// (the last grid is S / 32: 7 at 224 px, 2 at 64 px). Width multiplier m: every layer's width.
// Initialisation as torchvision's: convolutions He normal (fan_out), batch norm 1 and 0, the
// dense layer PyTorch's default. Parameter names as torchvision's (conv1, bn1,
// layer1.0.conv1, layer1.0.downsample.0, ..., fc).
#include "apps/classify/cnn_common.h"

namespace fbd::app {

namespace {

std::shared_ptr<nn::Conv2d> conv_no_bias(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad,
                                         Generator& gen) {
  auto conv = std::make_shared<nn::Conv2d>(nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(false), gen);
  kaiming_fan_out_(conv, gen);
  return conv;
}

class Bottleneck : public nn::Module {
 public:
  static constexpr int64_t kExpansion = 4;
  Bottleneck(int64_t in, int64_t width, int64_t stride, Generator& gen) : Module("Bottleneck") {
    const int64_t out = width * kExpansion;
    conv1_ = register_module("conv1", conv_no_bias(in, width, 1, stride, 0, gen));
    bn1_ = register_module("bn1", std::make_shared<nn::BatchNorm2d>(width));
    conv2_ = register_module("conv2", conv_no_bias(width, width, 3, 1, 1, gen));
    bn2_ = register_module("bn2", std::make_shared<nn::BatchNorm2d>(width));
    conv3_ = register_module("conv3", conv_no_bias(width, out, 1, 1, 0, gen));
    bn3_ = register_module("bn3", std::make_shared<nn::BatchNorm2d>(out));
    if (stride != 1 || in != out) {
      downsample_ = register_module("downsample", std::make_shared<nn::Sequential>());
      downsample_->add(conv_no_bias(in, out, 1, stride, 0, gen));
      downsample_->add(std::make_shared<nn::BatchNorm2d>(out));
    }
  }

  Tensor forward(const Tensor& x) override {
    Tensor y = relu(bn1_->forward(conv1_->forward(x)));
    y = relu(bn2_->forward(conv2_->forward(y)));
    y = bn3_->forward(conv3_->forward(y));
    return relu(add(y, downsample_ ? downsample_->forward(x) : x));
  }

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv2_, conv3_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn2_, bn3_;
  std::shared_ptr<nn::Sequential> downsample_;
};

class ResNet50 : public CnnNet {
 public:
  ResNet50(const CnnConfig& c, Generator& gen) : CnnNet("ResNet50", c, gen) {
    const double m = c.width_mult;
    int64_t in = scaled_channels(64, m);
    conv1_ = register_module("conv1", conv_no_bias(1, in, 7, 2, 3, gen));
    bn1_ = register_module("bn1", std::make_shared<nn::BatchNorm2d>(in));
    static constexpr int64_t kBlocks[] = {3, 4, 6, 3}, kWidths[] = {64, 128, 256, 512};
    for (int l = 0; l < 4; ++l) {
      auto layer = register_module("layer" + std::to_string(l + 1), std::make_shared<nn::Sequential>());
      const int64_t width = scaled_channels(kWidths[l], m);
      for (int64_t b = 0; b < kBlocks[l]; ++b) {
        layer->add(std::make_shared<Bottleneck>(in, width, b == 0 && l > 0 ? 2 : 1, gen));
        in = width * Bottleneck::kExpansion;
      }
      layers_.push_back(layer);
    }
    fc_ = register_module("fc", std::make_shared<nn::Linear>(in, 1, true, gen));
  }

  Tensor forward(const Tensor& x) override {
    Tensor y = nn::max_pool2d(relu(bn1_->forward(conv1_->forward(x))), nn::PoolParams::square(3, 2, 1));
    for (const auto& layer : layers_) y = layer->forward(y);
    return fc_->forward(flatten(nn::global_avg_pool2d(y)));
  }

 private:
  std::shared_ptr<nn::Conv2d> conv1_;
  std::shared_ptr<nn::BatchNorm2d> bn1_;
  std::vector<std::shared_ptr<nn::Sequential>> layers_;
  std::shared_ptr<nn::Linear> fc_;
};

}  // namespace

std::shared_ptr<nn::Module> make_resnet50(const CnnConfig& c, Generator& gen) {
  return std::make_shared<ResNet50>(c, gen);
}

}  // namespace fbd::app
