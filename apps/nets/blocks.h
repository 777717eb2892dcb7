// Building blocks of the app's networks.
#pragma once
#include "core/ops.h"
#include "core/rng.h"
#include "layers/layers.h"

namespace fbd::app {

// conv k x k (stride s, "same" padding, no bias) -> batch norm -> ReLU.
class ConvBnRelu : public nn::Module {
 public:
  ConvBnRelu(int64_t in, int64_t out, int64_t k, int64_t stride, Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Conv2d> conv_;
  std::shared_ptr<nn::BatchNorm2d> bn_;
};

// Two ConvBnRelu 3x3, the first at `stride` (U-Net's level; fbdnet's U-Net-style decoder and its
// plain encoder blocks).
class DoubleConv : public nn::Module {
 public:
  DoubleConv(int64_t in, int64_t out, Generator& gen, int64_t stride = 1);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<ConvBnRelu> a_, b_;
};

// The basic residual block of ResNet: conv3x3(stride) -> BN -> ReLU -> conv3x3 -> BN, plus the
// input (through a 1x1 conv and BN when the stride or the width changes), then ReLU.
class ResBlock : public nn::Module {
 public:
  ResBlock(int64_t in, int64_t out, int64_t stride, Generator& gen);
  Tensor forward(const Tensor& x) override;

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv2_, proj_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn2_, proj_bn_;
};

// Bilinear resize of [N,C,h,w] to the spatial size of `like` (a no-op when equal).
Tensor resize_like(const Tensor& x, const Tensor& like);
Tensor resize_to(const Tensor& x, int64_t h, int64_t w);

}  // namespace fbd::app
