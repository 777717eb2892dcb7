#include "layers/conv.h"

#include "core/autograd.h"
#include "core/op_util.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "layers/conv_cpu.h"
#include "layers/conv_cudnn.h"
#include "layers/init.h"

namespace fbd::nn {

namespace detail {

int64_t conv_out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, const char* op, const char* axis) {
  const int64_t span = d * (k - 1) + 1;
  FBD_CHECK(in + 2 * p >= span, op, ": input ", axis, " ", in, " (", in + 2 * p, " with padding) is smaller than the ",
            span, "-wide dilated kernel");
  return (in + 2 * p - span) / s + 1;
}

void check_conv_args(const char* op, const Tensor& x, const Tensor& w, const Tensor& b, const ConvParams& p,
                     int64_t w_in_axis, int64_t bias_len) {
  fbd::detail::check_float(x, op);
  fbd::detail::check_float(w, op);
  fbd::detail::check_same_device(x, w, op);
  FBD_CHECK(x.dim() == 4, op, ": expected input [N, C, H, W], got shape ", shape_str(x.shape()));
  FBD_CHECK(w.dim() == 4, op, ": expected a 4-d weight, got shape ", shape_str(w.shape()));
  FBD_CHECK(w.shape()[size_t(w_in_axis)] == x.shape()[1], op, ": input has ", x.shape()[1], " channels but the weight ",
            shape_str(w.shape()), " expects ", w.shape()[size_t(w_in_axis)]);
  FBD_CHECK(w.shape()[2] > 0 && w.shape()[3] > 0 && w.numel() > 0, op, ": empty weight ", shape_str(w.shape()));
  FBD_CHECK(p.sh >= 1 && p.sw >= 1, op, ": stride must be >= 1, got ", p.sh, "x", p.sw);
  FBD_CHECK(p.ph >= 0 && p.pw >= 0, op, ": padding must be >= 0, got ", p.ph, "x", p.pw);
  FBD_CHECK(p.dh >= 1 && p.dw >= 1, op, ": dilation must be >= 1, got ", p.dh, "x", p.dw);
  if (b.defined()) {
    fbd::detail::check_float(b, op);
    fbd::detail::check_same_device(x, b, op);
    FBD_CHECK(b.dim() == 1 && b.shape()[0] == bias_len, op, ": bias must have shape [", bias_len, "], got ",
              shape_str(b.shape()));
  }
}

}  // namespace detail

namespace {

// Bias gradient: sum of dy over N, H, W.
Tensor bias_grad(const Tensor& g) { return sum(g, {0, 2, 3}); }

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const ConvParams& p) {
  detail::check_conv_args("conv2d", x, w, b, p, 1, w.dim() == 4 ? w.shape()[0] : 0);
  const int64_t N = x.shape()[0], K = w.shape()[0];
  kernels::ConvGeom g;
  g.C = x.shape()[1], g.H = x.shape()[2], g.W = x.shape()[3];
  g.kh = w.shape()[2], g.kw = w.shape()[3];
  g.sh = p.sh, g.sw = p.sw, g.ph = p.ph, g.pw = p.pw, g.dh = p.dh, g.dw = p.dw;
  g.Ho = detail::conv_out_size(g.H, g.kh, g.sh, g.ph, g.dh, "conv2d", "height");
  g.Wo = detail::conv_out_size(g.W, g.kw, g.sw, g.pw, g.dw, "conv2d", "width");

  profiler::Scope scope("conv2d", x.device());
  Tensor y;
  fbd::detail::dispatch(
      x, "conv2d",
      [&] {
        y = Tensor::empty({N, K, g.Ho, g.Wo}, DType::F32, x.device());
        detail::conv_forward_cpu(x.data<float>(), w.data<float>(), b.defined() ? b.data<float>() : nullptr,
                                 y.data<float>(), N, K, g);
      },
      [&](kernels::Stream) {
        float beta = 0.0f;
        if (b.defined()) {  // y starts as the broadcast bias, and cuDNN adds the convolution to it
          NoGradGuard no_grad;
          y = broadcast_to(b.detach().reshape({1, K, 1, 1}), {N, K, g.Ho, g.Wo});
          if (y.numel() == K) y = y.clone();  // broadcast_to returns its input when nothing is broadcast
          beta = 1.0f;
        } else {
          y = Tensor::empty({N, K, g.Ho, g.Wo}, DType::F32, x.device());
        }
        if (N > 0)
          detail::cudnn_conv_forward(x.device().index, x.data<float>(), w.data<float>(), y.data<float>(), N, K, g,
                                     beta);
      });
  scope.add_bytes(x.nbytes() + w.nbytes() + y.nbytes());

  if (needs_grad({&x, &w, &b})) {
    const Tensor xd = x.detach(), wd = w.detach();
    const bool gx = x.requires_grad(), gw = w.requires_grad(), gb = b.defined() && b.requires_grad();
    record(y, "conv2d", {x, w, b}, [xd, wd, g, N, K, gx, gw, gb](const Tensor& gy) {
      Tensor dx, dw, db;
      if (gx) dx = Tensor::empty(xd.shape(), DType::F32, gy.device());
      if (gw) dw = Tensor::empty(wd.shape(), DType::F32, gy.device());
      fbd::detail::dispatch(
          gy, "conv2d.backward",
          [&] {
            detail::conv_backward_cpu(xd.data<float>(), wd.data<float>(), gy.data<float>(),
                                      gx ? dx.data<float>() : nullptr, gw ? dw.data<float>() : nullptr, N, K, g);
          },
          [&](kernels::Stream) {
            const int dev = gy.device().index;
            if (N == 0) {
              if (gx) fill_(dx, 0.0f);
              if (gw) fill_(dw, 0.0f);
              return;
            }
            if (gx)
              detail::cudnn_conv_backward_data(dev, wd.data<float>(), gy.data<float>(), dx.data<float>(), N, K, g);
            if (gw)
              detail::cudnn_conv_backward_filter(dev, xd.data<float>(), gy.data<float>(), dw.data<float>(), N, K, g);
          });
      if (gb) db = bias_grad(gy);
      return std::vector<Tensor>{dx, dw, db};
    });
  }
  return y;
}

Conv2d::Conv2d(const Conv2dOptions& o, Generator& gen) : Module("Conv2d"), o_(o) {
  FBD_CHECK(o.in_channels > 0 && o.out_channels > 0 && o.kh > 0 && o.kw > 0, "Conv2d: channels (", o.in_channels,
            " -> ", o.out_channels, ") and kernel size (", o.kh, "x", o.kw, ") must be positive");
  Tensor w = Tensor::empty({o.out_channels, o.in_channels, o.kh, o.kw});
  Tensor b = o.with_bias ? Tensor::empty({o.out_channels}) : Tensor();
  init::default_layer_init_(w, b, gen);
  weight_ = register_parameter("weight", w);
  if (o.with_bias) bias_ = register_parameter("bias", b);
}

Tensor Conv2d::forward(const Tensor& x) { return conv2d(x, weight_, bias_, o_.p); }

}  // namespace fbd::nn
