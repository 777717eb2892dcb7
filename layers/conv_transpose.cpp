#include "layers/conv_transpose.h"

#include "core/autograd.h"
#include "core/op_util.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "layers/conv_cpu.h"
#include "layers/conv_cudnn.h"
#include "layers/init.h"

namespace fbd::nn {

Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b, const ConvParams& p) {
  const char* op = "conv_transpose2d";
  detail::check_conv_args(op, x, w, b, p, 0, w.dim() == 4 ? w.shape()[1] : 0);
  FBD_CHECK(p.oph >= 0 && p.opw >= 0 && p.oph < p.sh && p.opw < p.sw, op, ": output padding (", p.oph, "x", p.opw,
            ") must be >= 0 and smaller than the stride (", p.sh, "x", p.sw, ")");
  const int64_t N = x.shape()[0], Cin = x.shape()[1], Cout = w.shape()[1];
  // The convolution this is the adjoint of: from [Cout, Ho, Wo] to [Cin, H, W].
  kernels::ConvGeom g;
  g.C = Cout, g.Ho = x.shape()[2], g.Wo = x.shape()[3];
  g.kh = w.shape()[2], g.kw = w.shape()[3];
  g.sh = p.sh, g.sw = p.sw, g.ph = p.ph, g.pw = p.pw, g.dh = p.dh, g.dw = p.dw;
  g.H = (g.Ho - 1) * g.sh - 2 * g.ph + g.dh * (g.kh - 1) + p.oph + 1;
  g.W = (g.Wo - 1) * g.sw - 2 * g.pw + g.dw * (g.kw - 1) + p.opw + 1;
  FBD_CHECK(g.H >= 1 && g.W >= 1, op, ": output size ", g.H, "x", g.W, " is not positive (too much padding)");
  const int64_t K = Cin;

  profiler::Scope scope(op, x.device());
  Tensor y = Tensor::empty({N, Cout, g.H, g.W}, DType::F32, x.device());
  if (x.is_cpu()) {
    detail::conv_backward_cpu(nullptr, w.data<float>(), x.data<float>(), y.data<float>(), nullptr, N, K, g);
    if (b.defined()) {
      const float* bp = b.data<float>();
      float* yp = y.data<float>();
      const int64_t P = g.H * g.W;
#pragma omp parallel for schedule(static) if (y.numel() > (int64_t(1) << 15))
      for (int64_t pl = 0; pl < N * Cout; ++pl)
        for (int64_t i = 0; i < P; ++i) yp[pl * P + i] += bp[pl % Cout];
    }
  } else {
#if FBD_WITH_CUDA
    if (N > 0)
      detail::cudnn_conv_backward_data(x.device().index, w.data<float>(), x.data<float>(), y.data<float>(), N, K, g);
    cuda::check_launch(op);
    if (b.defined()) {
      NoGradGuard no_grad;
      y = add(y, b.detach().reshape({1, Cout, 1, 1}));
    }
#else
    FBD_FAIL(op, ": fbd was built without CUDA");
#endif
  }
  scope.add_bytes(x.nbytes() + w.nbytes() + y.nbytes());

  if (needs_grad({&x, &w, &b})) {
    const Tensor xd = x.detach(), wd = w.detach();
    const bool gx = x.requires_grad(), gw = w.requires_grad(), gb = b.defined() && b.requires_grad();
    record(y, "conv_transpose2d", {x, w, b}, [xd, wd, g, N, K, gx, gw, gb](const Tensor& gy) {
      Tensor dx, dw, db;
      if (gx) dx = Tensor::empty(xd.shape(), DType::F32, gy.device());
      if (gw) dw = Tensor::empty(wd.shape(), DType::F32, gy.device());
      if (gy.is_cpu()) {
        if (gx) detail::conv_forward_cpu(gy.data<float>(), wd.data<float>(), nullptr, dx.data<float>(), N, K, g);
        if (gw)
          detail::conv_backward_cpu(gy.data<float>(), wd.data<float>(), xd.data<float>(), nullptr, dw.data<float>(), N,
                                    K, g);
      } else {
#if FBD_WITH_CUDA
        const int dev = gy.device().index;
        if (N == 0) {
          if (gx) fill_(dx, 0.0f);
          if (gw) fill_(dw, 0.0f);
        } else {
          if (gx) detail::cudnn_conv_forward(dev, gy.data<float>(), wd.data<float>(), dx.data<float>(), N, K, g, 0.0f);
          if (gw)
            detail::cudnn_conv_backward_filter(dev, gy.data<float>(), xd.data<float>(), dw.data<float>(), N, K, g);
        }
        cuda::check_launch("conv_transpose2d.backward");
#endif
      }
      if (gb) db = sum(gy, {0, 2, 3});
      return std::vector<Tensor>{dx, dw, db};
    });
  }
  return y;
}

ConvTranspose2d::ConvTranspose2d(const Conv2dOptions& o, Generator& gen) : Module("ConvTranspose2d"), o_(o) {
  FBD_CHECK(o.in_channels > 0 && o.out_channels > 0 && o.kh > 0 && o.kw > 0, "ConvTranspose2d: channels (",
            o.in_channels, " -> ", o.out_channels, ") and kernel size (", o.kh, "x", o.kw, ") must be positive");
  Tensor w = Tensor::empty({o.in_channels, o.out_channels, o.kh, o.kw});
  Tensor b = o.with_bias ? Tensor::empty({o.out_channels}) : Tensor();
  init::default_layer_init_(w, b, gen);
  weight_ = register_parameter("weight", w);
  if (o.with_bias) bias_ = register_parameter("bias", b);
}

Tensor ConvTranspose2d::forward(const Tensor& x) { return conv_transpose2d(x, weight_, bias_, o_.p); }

}  // namespace fbd::nn
