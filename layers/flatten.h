// Flatten for a classifier head (PyTorch's torch.flatten(x, 1) and nn.Flatten()):
// [N, d1, d2, ...] -> [N, d1 * d2 * ...]. A view of the same storage (Tensor::reshape), so it
// costs nothing and its gradient is the reshape back.
#pragma once
#include "layers/module.h"

namespace fbd::nn {

Tensor flatten(const Tensor& x);  // x must have at least 2 dimensions

class Flatten : public Module {
 public:
  Flatten() : Module("Flatten") {}
  Tensor forward(const Tensor& x) override { return flatten(x); }
};

}  // namespace fbd::nn
