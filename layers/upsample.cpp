#include "layers/upsample.h"

#include <cmath>

#include "core/autograd.h"
#include "core/op_util.h"
#include "core/profiler.h"
#include "kernels/upsample_kernels.h"

namespace fbd::nn {

Tensor upsample_bilinear(const Tensor& x, const UpsampleOptions& o) {
  const char* op = "upsample_bilinear";
  fbd::detail::check_float(x, op);
  FBD_CHECK(x.dim() == 4, op, ": expected input [N, C, H, W], got shape ", shape_str(x.shape()));
  kernels::UpsampleGeom g;
  g.planes = x.shape()[0] * x.shape()[1];
  g.H = x.shape()[2], g.W = x.shape()[3];
  g.align_corners = o.align_corners;
  FBD_CHECK(g.H > 0 && g.W > 0, op, ": empty input plane ", g.H, "x", g.W);
  double sf_h = 0, sf_w = 0;
  if (o.out_h > 0 || o.out_w > 0) {
    FBD_CHECK(o.out_h > 0 && o.out_w > 0, op, ": target size must be positive, got ", o.out_h, "x", o.out_w);
    g.Ho = o.out_h, g.Wo = o.out_w;
  } else {
    FBD_CHECK(o.scale_h > 0 && o.scale_w > 0 && std::isfinite(o.scale_h) && std::isfinite(o.scale_w), op,
              ": give a target size or positive scale factors (got ", o.scale_h, ", ", o.scale_w, ")");
    g.Ho = int64_t(std::floor(double(g.H) * o.scale_h));
    g.Wo = int64_t(std::floor(double(g.W) * o.scale_w));
    FBD_CHECK(g.Ho > 0 && g.Wo > 0, op, ": scale factors ", o.scale_h, "x", o.scale_w, " give an empty output from ",
              g.H, "x", g.W);
    sf_h = o.scale_h, sf_w = o.scale_w;
  }
  g.scale_h = kernels::upsample_scale(g.H, g.Ho, o.align_corners, sf_h);
  g.scale_w = kernels::upsample_scale(g.W, g.Wo, o.align_corners, sf_w);

  profiler::Scope scope(op, x.device());
  Tensor y = Tensor::empty({x.shape()[0], x.shape()[1], g.Ho, g.Wo}, DType::F32, x.device());
  fbd::detail::dispatch(
      x, op, [&] { kernels::upsample_bilinear_forward_cpu(x.data<float>(), y.data<float>(), g); },
      [&](kernels::Stream s) { kernels::upsample_bilinear_forward_cuda(x.data<float>(), y.data<float>(), g, s); });
  scope.add_bytes(x.nbytes() + y.nbytes());
  if (needs_grad({&x})) {
    const Shape in_shape = x.shape();
    record(y, op, {x}, [in_shape, g](const Tensor& gy) {
      Tensor gx = Tensor::empty(in_shape, DType::F32, gy.device());
      fbd::detail::dispatch(
          gy, "upsample_bilinear.backward",
          [&] { kernels::upsample_bilinear_backward_cpu(gy.data<float>(), gx.data<float>(), g); },
          [&](kernels::Stream s) {
            kernels::upsample_bilinear_backward_cuda(gy.data<float>(), gx.data<float>(), g, s);
          });
      return std::vector<Tensor>{gx};
    });
  }
  return y;
}

}  // namespace fbd::nn
