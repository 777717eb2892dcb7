#include "layers/instance_norm.h"

#include <cmath>

#include "core/autograd.h"
#include "core/op_util.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "kernels/instance_norm_kernels.h"

namespace fbd::nn {

namespace {

void check_vec(const Tensor& t, int64_t C, const Tensor& x, const char* what) {
  if (!t.defined()) return;
  fbd::detail::check_float(t, "instance_norm2d");
  fbd::detail::check_same_device(x, t, "instance_norm2d");
  FBD_CHECK(t.dim() == 1 && t.shape()[0] == C, "instance_norm2d: ", what, " must have shape [", C,
            "] (one per channel), got ", shape_str(t.shape()));
}

const float* ptr_or_null(const Tensor& t) { return t.defined() ? t.data<float>() : nullptr; }

}  // namespace

Tensor instance_norm2d(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps) {
  const char* op = "instance_norm2d";
  fbd::detail::check_float(x, op);
  FBD_CHECK(x.dim() == 4, op, ": expected input [N, C, H, W], got shape ", shape_str(x.shape()));
  kernels::InstanceNormGeom g;
  g.N = x.shape()[0], g.C = x.shape()[1], g.HW = x.shape()[2] * x.shape()[3];
  check_vec(gamma, g.C, x, "weight");
  check_vec(beta, g.C, x, "bias");
  FBD_CHECK(g.HW > 1, op, ": expected more than 1 value per plane, got input of shape ", shape_str(x.shape()));
  FBD_CHECK(eps > 0.0f && std::isfinite(eps), op, ": eps must be > 0, got ", eps);
  profiler::Scope scope(op, x.device());
  const Device dev = x.device();
  const Tensor gd = gamma.defined() ? gamma.detach() : Tensor(), bd = beta.defined() ? beta.detach() : Tensor();
  Tensor y = Tensor::empty(x.shape(), DType::F32, dev);
  Tensor mean = Tensor::empty({g.planes()}, DType::F32, dev), invstd = Tensor::empty({g.planes()}, DType::F32, dev);
  if (g.planes() > 0) {
    fbd::detail::dispatch(
        x, op,
        [&] {
          kernels::instance_norm_forward_cpu(x.data<float>(), y.data<float>(), g, eps, ptr_or_null(gd), ptr_or_null(bd),
                                             mean.data<float>(), invstd.data<float>());
        },
        [&](kernels::Stream s) {
          fbd::detail::Workspace ws(kernels::instance_norm_workspace_bytes(g), dev);
          return kernels::instance_norm_forward_cuda(x.data<float>(), y.data<float>(), g, eps, ptr_or_null(gd),
                                                     ptr_or_null(bd), mean.data<float>(), invstd.data<float>(),
                                                     ws.get(), s);
        });
  }
  scope.add_bytes(3 * x.nbytes());

  if (needs_grad({&x, &gamma, &beta})) {
    const Tensor xd = x.detach();
    const bool gg = gamma.defined() && gamma.requires_grad(), gb = beta.defined() && beta.requires_grad();
    record(y, op, {x, gamma, beta}, [xd, gd, mean, invstd, g, gg, gb](const Tensor& gy) {
      const Device d = gy.device();
      Tensor dx = Tensor::empty(xd.shape(), DType::F32, d);
      Tensor sums = Tensor::empty({2 * (g.planes() + 1)}, DType::F32, d);
      if (g.planes() > 0) {
        fbd::detail::dispatch(
            gy, "instance_norm2d.backward",
            [&] {
              kernels::instance_norm_backward_cpu(xd.data<float>(), gy.data<float>(), g, ptr_or_null(gd),
                                                  mean.data<float>(), invstd.data<float>(), dx.data<float>(),
                                                  sums.data<float>());
            },
            [&](kernels::Stream s) {
              fbd::detail::Workspace ws(kernels::instance_norm_workspace_bytes(g), d);
              return kernels::instance_norm_backward_cuda(xd.data<float>(), gy.data<float>(), g, ptr_or_null(gd),
                                                          mean.data<float>(), invstd.data<float>(), dx.data<float>(),
                                                          sums.data<float>(), ws.get(), s);
            });
      } else {
        fill_(sums, 0.0f);
      }
      // Parameter gradients: the plane sums [N, C, 2] added over n (core's deterministic sum).
      Tensor dgamma, dbeta;
      if (gg || gb) {
        const Tensor per_plane = sums.narrow0(0, 2 * g.planes()).reshape({g.N, g.C, 2});
        if (gb) dbeta = sum(slice(per_plane, 2, 0, 1), {0, 2});
        if (gg) dgamma = sum(slice(per_plane, 2, 1, 2), {0, 2});
      }
      return std::vector<Tensor>{dx, dgamma, dbeta};
    });
  }
  return y;
}

InstanceNorm2d::InstanceNorm2d(int64_t num_features, float eps, bool affine)
    : Module("InstanceNorm2d"), num_features_(num_features), eps_(eps) {
  FBD_CHECK(num_features > 0, "InstanceNorm2d: num_features must be positive, got ", num_features);
  FBD_CHECK(eps > 0.0f && std::isfinite(eps), "InstanceNorm2d: eps must be > 0, got ", eps);
  if (affine) {
    weight_ = register_parameter("weight", Tensor::ones({num_features}));
    bias_ = register_parameter("bias", Tensor::zeros({num_features}));
  }
}

Tensor InstanceNorm2d::forward(const Tensor& x) {
  FBD_CHECK(x.dim() != 4 || x.shape()[1] == num_features_, "InstanceNorm2d: expected ", num_features_,
            " channels, got input of shape ", shape_str(x.shape()));
  return instance_norm2d(x, weight_, bias_, eps_);
}

}  // namespace fbd::nn
