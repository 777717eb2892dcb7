// Channel concatenation of feature maps (torch.cat(xs, dim=1)): inputs [N, C_i, H, W] with the
// same N, H and W give [N, sum C_i, H, W]; the gradient is sliced back per input. Built on
// core's concat.
#pragma once
#include <vector>

#include "layers/module.h"

namespace fbd::nn {

Tensor concat_channels(const std::vector<Tensor>& xs);

// Call as concat({a, b}); the one-input forward of Module is not available.
class Concat : public Module {
 public:
  Concat() : Module("Concat") {}
  Tensor forward(const std::vector<Tensor>& xs) { return concat_channels(xs); }
  Tensor operator()(const std::vector<Tensor>& xs) { return concat_channels(xs); }
  using Module::forward;
};

}  // namespace fbd::nn
