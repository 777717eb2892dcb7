#include "layers/activation.h"

#include <algorithm>

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

Tensor prelu(const Tensor& x, const Tensor& weight) {
  const char* op = "prelu";
  fbd::detail::check_float(x, op);
  FBD_CHECK(weight.defined(), op, ": weight undefined");
  fbd::detail::check_float(weight, op);
  fbd::detail::check_same_device(x, weight, op);
  kernels::PreluGeom g;
  g.outer = x.dim() >= 1 ? x.shape()[0] : 1;
  g.channels = x.dim() >= 2 ? x.shape()[1] : 1;
  g.inner = x.dim() >= 2 ? x.numel() / std::max<int64_t>(1, g.outer * g.channels) : 1;
  FBD_CHECK(weight.dim() == 1 && (weight.numel() == 1 || weight.numel() == g.channels), op,
            ": weight must have shape [1] or [", g.channels, "] (one slope, or one per channel of the input ",
            shape_str(x.shape()), "), got ", shape_str(weight.shape()));
  g.per_channel = weight.numel() > 1;
  profiler::Scope scope(op, x.device());
  Tensor y = Tensor::empty(x.shape(), DType::F32, x.device());
  const Tensor a = weight.detach();
  fbd::detail::dispatch(
      x, op, [&] { kernels::prelu_forward_cpu(x.data<float>(), a.data<float>(), y.data<float>(), g); },
      [&](kernels::Stream s) { kernels::prelu_forward_cuda(x.data<float>(), a.data<float>(), y.data<float>(), g, s); });
  scope.add_bytes(2 * x.nbytes());
  if (needs_grad({&x, &weight})) {
    const Tensor xd = x.detach();
    const bool gw = weight.requires_grad();
    record(y, op, {x, weight}, [xd, a, g, gw](const Tensor& gy) {
      const Device d = gy.device();
      Tensor gx = Tensor::empty(xd.shape(), DType::F32, d);
      Tensor sums = Tensor::zeros({g.planes() + 1}, DType::F32, d);  // stays 0 for an empty input
      if (g.numel() > 0)
        fbd::detail::dispatch(
            gy, "prelu.backward",
            [&] {
              kernels::prelu_backward_cpu(xd.data<float>(), a.data<float>(), gy.data<float>(), gx.data<float>(),
                                          sums.data<float>(), g);
            },
            [&](kernels::Stream s) {
              fbd::detail::Workspace ws(kernels::prelu_backward_workspace_bytes(g), d);
              return kernels::prelu_backward_cuda(xd.data<float>(), a.data<float>(), gy.data<float>(), gx.data<float>(),
                                                  sums.data<float>(), g, ws.get(), s);
            });
      Tensor ga;
      if (gw) {
        // One slope: the sum over every plane (the kernel's last row). Per channel: the plane
        // sums of channel c added over n, in order (core's deterministic sum).
        ga = g.per_channel ? sum(sums.narrow0(0, g.planes()).reshape({g.outer, g.channels}), {0})
                           : sums.narrow0(g.planes(), 1).clone();
      }
      return std::vector<Tensor>{gx, ga};
    });
  }
  return y;
}

Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor LeakyReLU::forward(const Tensor& x) { return leaky_relu(x, slope_); }
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }
Tensor Tanh::forward(const Tensor& x) { return tanh(x); }

PReLU::PReLU(int64_t num_parameters, float init) : Module("PReLU") {
  FBD_CHECK(num_parameters >= 1, "PReLU: num_parameters must be >= 1, got ", num_parameters);
  Tensor w = Tensor::empty({num_parameters});
  fill_(w, init);
  weight_ = register_parameter("weight", w);
}

Tensor PReLU::forward(const Tensor& x) { return prelu(x, weight_); }

}  // namespace fbd::nn
