#include "layers/linear.h"

#include "core/autograd.h"
#include "core/op_util.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "layers/blas.h"
#include "layers/init.h"

namespace fbd::nn {

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) {
  const char* op = "linear";
  fbd::detail::check_float(x, op);
  fbd::detail::check_float(w, op);
  fbd::detail::check_same_device(x, w, op);
  FBD_CHECK(w.dim() == 2 && w.shape()[0] > 0 && w.shape()[1] > 0, op, ": expected a weight [out, in], got shape ",
            shape_str(w.shape()));
  const int64_t out = w.shape()[0], in = w.shape()[1];
  FBD_CHECK(x.dim() >= 1 && x.shape().back() == in, op, ": input of shape ", shape_str(x.shape()), " has ",
            x.dim() >= 1 ? x.shape().back() : 0, " features but the weight ", shape_str(w.shape()), " expects ", in);
  if (b.defined()) {
    fbd::detail::check_float(b, op);
    fbd::detail::check_same_device(x, b, op);
    FBD_CHECK(b.dim() == 1 && b.shape()[0] == out, op, ": bias must have shape [", out, "], got ",
              shape_str(b.shape()));
  }
  const int64_t M = x.numel() / in;
  Shape out_shape = x.shape();
  out_shape.back() = out;
  profiler::Scope scope(op, x.device());
  Tensor y;
  {
    NoGradGuard no_grad;
    // y starts as the broadcast bias (or zeros) and the GEMM adds x W^T to it.
    y = b.defined() ? broadcast_to(b.detach().reshape({1, out}), {M, out})
                    : Tensor::zeros({M, out}, DType::F32, x.device());
    // broadcast_to returns its input when nothing is broadcast (M = 1): never add into the bias.
    if (b.defined() && M == 1) y = y.clone();
  }
  if (M > 0)
    detail::gemm(x.device(), false, true, M, out, in, 1.0f, x.data<float>(), in, w.data<float>(), in, 1.0f,
                 y.data<float>(), out);
  if (x.is_cuda()) cuda::check_launch(op);
  y = y.reshape(out_shape);
  scope.add_bytes(x.nbytes() + w.nbytes() + y.nbytes());

  if (needs_grad({&x, &w, &b})) {
    const Tensor xd = x.detach(), wd = w.detach();
    const bool gx = x.requires_grad(), gw = w.requires_grad(), gb = b.defined() && b.requires_grad();
    record(y, op, {x, w, b}, [xd, wd, M, in, out, gx, gw, gb](const Tensor& gy) {
      Tensor dx, dw, db;
      const Device d = gy.device();
      if (gx) {  // dx [M, in] = dy [M, out] W [out, in]
        dx = Tensor::empty(xd.shape(), DType::F32, d);
        if (M > 0)
          detail::gemm(d, false, false, M, in, out, 1.0f, gy.data<float>(), out, wd.data<float>(), in, 0.0f,
                       dx.data<float>(), in);
      }
      if (gw) {  // dW [out, in] = dy^T [out, M] x [M, in]
        dw = Tensor::empty(wd.shape(), DType::F32, d);
        if (M > 0)
          detail::gemm(d, true, false, out, in, M, 1.0f, gy.data<float>(), out, xd.data<float>(), in, 0.0f,
                       dw.data<float>(), in);
        else
          fill_(dw, 0.0f);
      }
      if (gb) db = sum(gy.reshape({M, out}), {0});
      if (d.is_cuda()) cuda::check_launch("linear.backward");
      return std::vector<Tensor>{dx, dw, db};
    });
  }
  return y;
}

Linear::Linear(int64_t in_features, int64_t out_features, bool bias, Generator& gen) : Module("Linear") {
  FBD_CHECK(in_features > 0 && out_features > 0, "Linear: feature counts must be positive, got ", in_features, " -> ",
            out_features);
  Tensor w = Tensor::empty({out_features, in_features});
  Tensor b = bias ? Tensor::empty({out_features}) : Tensor();
  init::default_layer_init_(w, b, gen);
  weight_ = register_parameter("weight", w);
  if (bias) bias_ = register_parameter("bias", b);
}

}  // namespace fbd::nn
