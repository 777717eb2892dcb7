// 2-d convolution (cross-correlation, as PyTorch's nn.Conv2d; groups = 1):
//   y[n, k, oh, ow] = b[k] + sum_{c, ky, kx} w[k, c, ky, kx] x[n, c, oh*sh - ph + ky*dh, ow*sw - pw + kx*dw]
// with zero padding, Ho = floor((H + 2 ph - dh (kh - 1) - 1) / sh) + 1 (Wo likewise).
// CPU: im2col + OpenBLAS GEMM (layers/conv_cpu.h); CUDA: cuDNN with a per-shape algorithm
// cache (layers/conv_cudnn.h). Gradients for x, w and b.
#pragma once
#include "core/rng.h"
#include "core/tensor.h"
#include "layers/module.h"

namespace fbd::nn {

// Stride, padding and dilation of a convolution, per axis (height, width).
struct ConvParams {
  int64_t sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
  int64_t oph = 0, opw = 0;  // output padding (ConvTranspose2d only)
};

// x: [N, C, H, W]; w: [K, C, kh, kw]; b: [K] or undefined (no bias).
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const ConvParams& p = {});

struct Conv2dOptions {
  Conv2dOptions(int64_t in, int64_t out, int64_t kernel) : in_channels(in), out_channels(out), kh(kernel), kw(kernel) {}
  Conv2dOptions& kernel_size(int64_t h, int64_t w) { return kh = h, kw = w, *this; }
  Conv2dOptions& stride(int64_t s) { return p.sh = p.sw = s, *this; }
  Conv2dOptions& stride(int64_t h, int64_t w) { return p.sh = h, p.sw = w, *this; }
  Conv2dOptions& padding(int64_t s) { return p.ph = p.pw = s, *this; }
  Conv2dOptions& padding(int64_t h, int64_t w) { return p.ph = h, p.pw = w, *this; }
  Conv2dOptions& dilation(int64_t s) { return p.dh = p.dw = s, *this; }
  Conv2dOptions& dilation(int64_t h, int64_t w) { return p.dh = h, p.dw = w, *this; }
  Conv2dOptions& output_padding(int64_t s) { return p.oph = p.opw = s, *this; }
  Conv2dOptions& bias(bool on) { return with_bias = on, *this; }
  int64_t in_channels, out_channels, kh, kw;
  ConvParams p;
  bool with_bias = true;
};

// Parameters: weight [out, in, kh, kw], bias [out]. Initialised as PyTorch's Conv2d:
// kaiming_uniform_(a = sqrt(5)) for the weight (bound 1/sqrt(fan_in)), U(-1/sqrt(fan_in),
// 1/sqrt(fan_in)) for the bias, drawn from `gen`.
class Conv2d : public Module {
 public:
  explicit Conv2d(const Conv2dOptions& o, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  const Conv2dOptions& options() const { return o_; }
  Tensor weight() const { return weight_; }
  Tensor bias() const { return bias_; }

 private:
  Conv2dOptions o_;
  Tensor weight_, bias_;
};

namespace detail {
// Output size of a convolution along one axis (throws naming `op` when it would be < 1).
int64_t conv_out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, const char* op, const char* axis);
// Checks the common arguments of conv2d / conv_transpose2d.
void check_conv_args(const char* op, const Tensor& x, const Tensor& w, const Tensor& b, const ConvParams& p,
                     int64_t w_in_axis, int64_t bias_len);
}  // namespace detail

}  // namespace fbd::nn
