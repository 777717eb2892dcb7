// 2-d transposed convolution (PyTorch's nn.ConvTranspose2d, groups = 1): the adjoint of the
// convolution x -> conv2d(x, w) with the same stride, padding and dilation, plus a bias.
//   weight [Cin, Cout, kh, kw], input [N, Cin, H, W], output [N, Cout, Ho, Wo],
//   Ho = (H - 1) sh - 2 ph + dh (kh - 1) + oph + 1   (Wo likewise)
// Its forward is a convolution's input gradient (col2im(W^T x) on the CPU, cuDNN's
// BackwardData on CUDA); its input gradient is a convolution forward of dy; its weight
// gradient a convolution weight gradient with the roles of x and dy exchanged.
// Output padding must be smaller than the stride (PyTorch also allows < dilation; fbd does not).
#pragma once
#include "layers/conv.h"

namespace fbd::nn {

Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b, const ConvParams& p = {});

// Parameters: weight [in, out, kh, kw], bias [out], initialised as PyTorch does (fan_in from
// dimension 1 of the weight, so from `out`).
class ConvTranspose2d : public Module {
 public:
  explicit ConvTranspose2d(const Conv2dOptions& o, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  const Conv2dOptions& options() const { return o_; }
  Tensor weight() const { return weight_; }
  Tensor bias() const { return bias_; }

 private:
  Conv2dOptions o_;
  Tensor weight_, bias_;
};

}  // namespace fbd::nn
