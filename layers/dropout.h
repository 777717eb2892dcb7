// Dropout (PyTorch's nn.Dropout, inverted): in training, each element is zeroed with
// probability p and the rest are scaled by 1/(1 - p); in eval mode (or p = 0) it is the
// identity. The mask comes from a Philox Generator (kernels/dropout_kernels.h), so a seeded generator
// gives the same mask on the CPU and CUDA.
#pragma once
#include "core/rng.h"
#include "layers/module.h"

namespace fbd::nn {

Tensor dropout(const Tensor& x, float p, bool training, Generator& gen = default_generator());

// The generator is referenced, not owned: it must outlive the module.
class Dropout : public Module {
 public:
  explicit Dropout(float p = 0.5f, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override { return dropout(x, p_, is_training(), *gen_); }
  float p() const { return p_; }

 private:
  float p_;
  Generator* gen_;
};

}  // namespace fbd::nn
