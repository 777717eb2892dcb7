// Activations as modules: ReLU and Sigmoid (core's relu / sigmoid ops) and LeakyReLU
// (kernels/activation: y = x > 0 ? x : a x, gradient 1 or a; a = 0.01 by default, as PyTorch).
#pragma once
#include "layers/module.h"

namespace fbd::nn {

Tensor leaky_relu(const Tensor& x, float negative_slope = 0.01f);

class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Tensor forward(const Tensor& x) override;
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(float negative_slope = 0.01f) : Module("LeakyReLU"), slope_(negative_slope) {}
  Tensor forward(const Tensor& x) override;
  float negative_slope() const { return slope_; }

 private:
  float slope_;
};

class Sigmoid : public Module {
 public:
  Sigmoid() : Module("Sigmoid") {}
  Tensor forward(const Tensor& x) override;
};

}  // namespace fbd::nn
