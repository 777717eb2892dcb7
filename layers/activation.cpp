#include "layers/activation.h"

#include "core/autograd.h"
#include "core/op_util.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "kernels/activation_kernels.h"

namespace fbd::nn {

Tensor leaky_relu(const Tensor& x, float slope) {
  const char* op = "leaky_relu";
  fbd::detail::check_float(x, op);
  profiler::Scope scope(op, x.device());
  Tensor y = Tensor::empty(x.shape(), DType::F32, x.device());
  const int64_t n = x.numel();
  fbd::detail::dispatch(
      x, op, [&] { kernels::leaky_relu_forward_cpu(x.data<float>(), y.data<float>(), n, slope); },
      [&](kernels::Stream s) { kernels::leaky_relu_forward_cuda(x.data<float>(), y.data<float>(), n, slope, s); });
  scope.add_bytes(2 * x.nbytes());
  if (needs_grad({&x})) {
    const Tensor xd = x.detach();
    record(y, op, {x}, [xd, slope, n](const Tensor& gy) {
      Tensor gx = Tensor::empty(xd.shape(), DType::F32, gy.device());
      fbd::detail::dispatch(
          gy, "leaky_relu.backward",
          [&] { kernels::leaky_relu_backward_cpu(xd.data<float>(), gy.data<float>(), gx.data<float>(), n, slope); },
          [&](kernels::Stream s) {
            kernels::leaky_relu_backward_cuda(xd.data<float>(), gy.data<float>(), gx.data<float>(), n, slope, s);
          });
      return std::vector<Tensor>{gx};
    });
  }
  return y;
}

Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor LeakyReLU::forward(const Tensor& x) { return leaky_relu(x, slope_); }
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }

}  // namespace fbd::nn
