// Bilinear upsampling (PyTorch's F.interpolate(mode="bilinear") / nn.Upsample), to a target
// size or by a scale factor, with align_corners either way. With a scale factor the output is
// floor(in * scale) and, without align_corners, the source index uses 1/scale (PyTorch's rule
// when recompute_scale_factor is not set); with a size it uses in/out. Formulas:
// kernels/upsample_kernels.h.
#pragma once
#include "layers/module.h"

namespace fbd::nn {

struct UpsampleOptions {
  int64_t out_h = 0, out_w = 0;         // target size, or
  double scale_h = 0.0, scale_w = 0.0;  // scale factors (used when out_h == 0)
  bool align_corners = false;
  static UpsampleOptions size(int64_t h, int64_t w, bool align_corners = false) {
    UpsampleOptions o;
    o.out_h = h, o.out_w = w, o.align_corners = align_corners;
    return o;
  }
  static UpsampleOptions scale(double s, bool align_corners = false) { return scale(s, s, align_corners); }
  static UpsampleOptions scale(double sh, double sw, bool align_corners) {
    UpsampleOptions o;
    o.scale_h = sh, o.scale_w = sw, o.align_corners = align_corners;
    return o;
  }
};

Tensor upsample_bilinear(const Tensor& x, const UpsampleOptions& o);

class Upsample : public Module {
 public:
  explicit Upsample(const UpsampleOptions& o) : Module("Upsample"), o_(o) {}
  Tensor forward(const Tensor& x) override { return upsample_bilinear(x, o_); }

 private:
  UpsampleOptions o_;
};

}  // namespace fbd::nn
