// Fully connected layer (PyTorch's nn.Linear): y = x W^T + b for x [..., in], W [out, in],
// b [out]; y [..., out]. One GEMM each way: OpenBLAS on the CPU, cuBLAS on CUDA.
//   dx = dy W,  dW = dy^T x,  db = sum over rows of dy
#pragma once
#include "core/rng.h"
#include "layers/module.h"

namespace fbd::nn {

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b);

// Initialised as PyTorch's nn.Linear (U(-1/sqrt(in), 1/sqrt(in)) for weight and bias).
class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override { return linear(x, weight_, bias_); }
  Tensor weight() const { return weight_; }
  Tensor bias() const { return bias_; }

 private:
  Tensor weight_, bias_;
};

}  // namespace fbd::nn
