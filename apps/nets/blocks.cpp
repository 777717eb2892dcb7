#include "apps/nets/blocks.h"

namespace fbd::app {

ConvBnRelu::ConvBnRelu(int64_t in, int64_t out, int64_t k, int64_t stride, Generator& gen) : Module("ConvBnRelu") {
  conv_ = register_module("conv", std::make_shared<nn::Conv2d>(
                                      nn::Conv2dOptions(in, out, k).stride(stride).padding(k / 2).bias(false), gen));
  bn_ = register_module("bn", std::make_shared<nn::BatchNorm2d>(out));
}

Tensor ConvBnRelu::forward(const Tensor& x) { return relu(bn_->forward(conv_->forward(x))); }

DoubleConv::DoubleConv(int64_t in, int64_t out, Generator& gen, int64_t stride) : Module("DoubleConv") {
  a_ = register_module("a", std::make_shared<ConvBnRelu>(in, out, 3, stride, gen));
  b_ = register_module("b", std::make_shared<ConvBnRelu>(out, out, 3, 1, gen));
}

Tensor DoubleConv::forward(const Tensor& x) { return b_->forward(a_->forward(x)); }

ResBlock::ResBlock(int64_t in, int64_t out, int64_t stride, Generator& gen) : Module("ResBlock") {
  conv1_ = register_module(
      "conv1", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false), gen));
  bn1_ = register_module("bn1", std::make_shared<nn::BatchNorm2d>(out));
  conv2_ = register_module("conv2",
                           std::make_shared<nn::Conv2d>(nn::Conv2dOptions(out, out, 3).padding(1).bias(false), gen));
  bn2_ = register_module("bn2", std::make_shared<nn::BatchNorm2d>(out));
  if (stride != 1 || in != out) {
    proj_ = register_module(
        "proj", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(in, out, 1).stride(stride).bias(false), gen));
    proj_bn_ = register_module("proj_bn", std::make_shared<nn::BatchNorm2d>(out));
  }
}

Tensor ResBlock::forward(const Tensor& x) {
  const Tensor y = bn2_->forward(conv2_->forward(relu(bn1_->forward(conv1_->forward(x)))));
  const Tensor shortcut = proj_ ? proj_bn_->forward(proj_->forward(x)) : x;
  return relu(add(y, shortcut));
}

Tensor resize_to(const Tensor& x, int64_t h, int64_t w) {
  if (x.size(2) == h && x.size(3) == w) return x;
  return nn::upsample_bilinear(x, nn::UpsampleOptions::size(h, w, false));
}

Tensor resize_like(const Tensor& x, const Tensor& like) { return resize_to(x, like.size(2), like.size(3)); }

}  // namespace fbd::app
