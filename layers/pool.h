// 2-d max and average pooling (PyTorch's nn.MaxPool2d and nn.AvgPool2d without dilation or
// divisor_override): Ho = floor((H + 2 ph - kh) / sh) + 1 (Wo likewise), or with ceil_mode
// ceil((H + 2 ph - kh) / sh) + 1, less one if that last window would start at or past H + ph
// (PyTorch's rule: every window starts inside the image or its left/top padding); padding at
// most half the kernel. Max pooling pads with -inf and propagates NaN; average pooling divides
// by the window size clipped to the padded image (count_include_pad = true, the default) or to
// the image; a ceil_mode window that runs past the right padding is clipped there for the
// divisor too, as in PyTorch. Kernels: kernels/pool (gathers in the backward, deterministic on
// both devices). Global average pooling (nn.AdaptiveAvgPool2d(1)) is average pooling with the
// whole plane as the window.
#pragma once
#include "layers/module.h"

namespace fbd::nn {

struct PoolParams {
  int64_t kh = 2, kw = 2, sh = 0, sw = 0, ph = 0, pw = 0;  // stride 0: the kernel size (PyTorch's default)
  bool count_include_pad = true;                           // average pooling only
  bool ceil_mode = false;                                  // round the output size up (PyTorch's ceil_mode)
  static PoolParams square(int64_t k, int64_t stride = 0, int64_t pad = 0, bool count_include_pad = true,
                           bool ceil_mode = false) {
    PoolParams p;
    p.kh = p.kw = k;
    p.sh = p.sw = stride;
    p.ph = p.pw = pad;
    p.count_include_pad = count_include_pad;
    p.ceil_mode = ceil_mode;
    return p;
  }
};

// Output size of pooling along one axis (PyTorch's pooling_output_shape with dilation 1).
int64_t pool_out_size(int64_t in, int64_t k, int64_t s, int64_t p, bool ceil_mode);

Tensor max_pool2d(const Tensor& x, const PoolParams& p);
Tensor avg_pool2d(const Tensor& x, const PoolParams& p);
// x [N, C, H, W] -> [N, C, 1, 1], the mean of each plane (PyTorch's F.adaptive_avg_pool2d(x, 1)).
Tensor global_avg_pool2d(const Tensor& x);

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(const PoolParams& p) : Module("MaxPool2d"), p_(p) {}
  explicit MaxPool2d(int64_t k, int64_t stride = 0, int64_t pad = 0, bool ceil_mode = false)
      : MaxPool2d(PoolParams::square(k, stride, pad, true, ceil_mode)) {}
  Tensor forward(const Tensor& x) override { return max_pool2d(x, p_); }

 private:
  PoolParams p_;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(const PoolParams& p) : Module("AvgPool2d"), p_(p) {}
  explicit AvgPool2d(int64_t k, int64_t stride = 0, int64_t pad = 0, bool count_include_pad = true,
                     bool ceil_mode = false)
      : AvgPool2d(PoolParams::square(k, stride, pad, count_include_pad, ceil_mode)) {}
  Tensor forward(const Tensor& x) override { return avg_pool2d(x, p_); }

 private:
  PoolParams p_;
};

// PyTorch's nn.AdaptiveAvgPool2d(1) (and nn.AdaptiveAvgPool2d((1, 1))): [N, C, H, W] -> [N, C, 1, 1].
class GlobalAvgPool2d : public Module {
 public:
  GlobalAvgPool2d() : Module("GlobalAvgPool2d") {}
  Tensor forward(const Tensor& x) override { return global_avg_pool2d(x); }
};

}  // namespace fbd::nn
