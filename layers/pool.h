// 2-d max and average pooling (PyTorch's nn.MaxPool2d and nn.AvgPool2d without ceil_mode,
// dilation or divisor_override): Ho = (H + 2 ph - kh) / sh + 1 (Wo likewise); padding at most
// half the kernel. Max pooling pads with -inf and propagates NaN; average pooling divides by
// the window size clipped to the padded image (count_include_pad = true, the default) or to
// the image. Kernels: kernels/pool (gathers in the backward, deterministic on both devices).
#pragma once
#include "layers/module.h"

namespace fbd::nn {

struct PoolParams {
  int64_t kh = 2, kw = 2, sh = 0, sw = 0, ph = 0, pw = 0;  // stride 0: the kernel size (PyTorch's default)
  bool count_include_pad = true;                           // average pooling only
  static PoolParams square(int64_t k, int64_t stride = 0, int64_t pad = 0, bool count_include_pad = true) {
    PoolParams p;
    p.kh = p.kw = k;
    p.sh = p.sw = stride;
    p.ph = p.pw = pad;
    p.count_include_pad = count_include_pad;
    return p;
  }
};

Tensor max_pool2d(const Tensor& x, const PoolParams& p);
Tensor avg_pool2d(const Tensor& x, const PoolParams& p);

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(const PoolParams& p) : Module("MaxPool2d"), p_(p) {}
  explicit MaxPool2d(int64_t k, int64_t stride = 0, int64_t pad = 0) : MaxPool2d(PoolParams::square(k, stride, pad)) {}
  Tensor forward(const Tensor& x) override { return max_pool2d(x, p_); }

 private:
  PoolParams p_;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(const PoolParams& p) : Module("AvgPool2d"), p_(p) {}
  explicit AvgPool2d(int64_t k, int64_t stride = 0, int64_t pad = 0, bool count_include_pad = true)
      : AvgPool2d(PoolParams::square(k, stride, pad, count_include_pad)) {}
  Tensor forward(const Tensor& x) override { return avg_pool2d(x, p_); }

 private:
  PoolParams p_;
};

}  // namespace fbd::nn
