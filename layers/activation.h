// Activations as modules: ReLU, Sigmoid and Tanh (core's relu / sigmoid / tanh ops), LeakyReLU
// (kernels/activation: y = x > 0 ? x : a x, gradient 1 or a; a = 0.01 by default, as PyTorch)
// and PReLU (kernels/activation: the same with a learned slope per channel or one for all).
#pragma once
#include "layers/module.h"

namespace fbd::nn {

Tensor leaky_relu(const Tensor& x, float negative_slope = 0.01f);

// PyTorch's F.prelu: y = x > 0 ? x : a_c x, with a = weight of shape [1] (one slope for every
// element) or [C], C = x.size(1) (one slope per channel; x is [N, C, ...]). Gradients:
// gx = x > 0 ? gy : a_c gy, and ga_c = sum over the elements of channel c of [x <= 0] x gy
// (summed per (n, c) plane in a fixed order, then over n: deterministic on both devices).
Tensor prelu(const Tensor& x, const Tensor& weight);

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

class Tanh : public Module {
 public:
  Tanh() : Module("Tanh") {}
  Tensor forward(const Tensor& x) override;
};

// PyTorch's nn.PReLU: parameter "weight" of shape [num_parameters], every slope `init`.
// num_parameters is 1 (one slope shared by every channel) or the input's channel count.
class PReLU : public Module {
 public:
  explicit PReLU(int64_t num_parameters = 1, float init = 0.25f);
  Tensor forward(const Tensor& x) override;
  Tensor weight() const { return weight_; }

 private:
  Tensor weight_;
};

}  // namespace fbd::nn
