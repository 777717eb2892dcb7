#include "layers/batchnorm.h"

#include <algorithm>
#include <cmath>

#include "core/autograd.h"
#include "core/op_util.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "kernels/batchnorm_kernels.h"

namespace fbd::nn {

namespace {

void check_vec(const Tensor& t, int64_t C, const Tensor& x, const char* what) {
  if (!t.defined()) return;
  fbd::detail::check_float(t, "batch_norm2d");
  fbd::detail::check_same_device(x, t, "batch_norm2d");
  FBD_CHECK(t.dim() == 1 && t.shape()[0] == C, "batch_norm2d: ", what, " must have shape [", C,
            "] (one per channel), got ", shape_str(t.shape()));
}

Tensor ones_or(const Tensor& t, int64_t C, Device d) { return t.defined() ? t : Tensor::ones({C}, d); }
Tensor zeros_or(const Tensor& t, int64_t C, Device d) { return t.defined() ? t : Tensor::zeros({C}, DType::F32, d); }

// Backward in eval mode with core ops (the running statistics are constants):
// dx = dy * gamma * invstd, dgamma = sum dy * (x - mean) * invstd, dbeta = sum dy.
std::vector<Tensor> eval_backward_ops(const Tensor& gy, const Tensor& x, const Tensor& gamma, const Tensor& mean,
                                      const Tensor& invstd, int64_t C) {
  const Shape ch{1, C, 1, 1};
  const Tensor is = invstd.reshape(ch);
  const Tensor dx = mul(gy, mul(gamma.reshape(ch), is));
  const Tensor dgamma = sum(mul(gy, mul(sub(x, mean.reshape(ch)), is)), {0, 2, 3});
  const Tensor dbeta = sum(gy, {0, 2, 3});
  return {dx, dgamma, dbeta};
}

}  // namespace

Tensor batch_norm2d(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& running_mean,
                    const Tensor& running_var, bool training, double momentum, double eps) {
  const char* op = "batch_norm2d";
  fbd::detail::check_float(x, op);
  FBD_CHECK(x.dim() == 4, op, ": expected input [N, C, H, W], got shape ", shape_str(x.shape()));
  const int64_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2], W = x.shape()[3], HW = H * W, M = N * HW;
  check_vec(gamma, C, x, "weight");
  check_vec(beta, C, x, "bias");
  check_vec(running_mean, C, x, "running_mean");
  check_vec(running_var, C, x, "running_var");
  FBD_CHECK(running_mean.defined() == running_var.defined(), op,
            ": running_mean and running_var must both be given or both be absent");
  FBD_CHECK(training || running_mean.defined(), op, ": eval mode needs running statistics");
  FBD_CHECK(!training || M > 1, op, ": expected more than 1 value per channel when training, got input of shape ",
            shape_str(x.shape()));
  FBD_CHECK(eps > 0 && momentum >= 0 && momentum <= 1, op, ": eps must be > 0 and momentum in [0, 1] (got eps ", eps,
            ", momentum ", momentum, ")");
  profiler::Scope scope(op, x.device());
  const Device dev = x.device();
  const Tensor g = ones_or(gamma, C, dev).detach(), b = zeros_or(beta, C, dev).detach();
  Tensor y = Tensor::empty(x.shape(), DType::F32, dev);
  Tensor mean = Tensor::empty({C}, DType::F32, dev), invstd = Tensor::empty({C}, DType::F32, dev);

  if (x.is_cpu()) {
    std::vector<float> m(static_cast<size_t>(C)), v(static_cast<size_t>(C)), is(static_cast<size_t>(C));
    if (training) {
      kernels::bn_stats_cpu(x.data<float>(), N, C, HW, m.data(), v.data());
      if (running_mean.defined()) {
        float* rm = running_mean.data<float>();
        float* rv = running_var.data<float>();
        const double unbias = double(M) / double(M - 1);
        for (int64_t c = 0; c < C; ++c) {
          rm[c] = float((1.0 - momentum) * rm[c] + momentum * m[size_t(c)]);
          rv[c] = float((1.0 - momentum) * rv[c] + momentum * v[size_t(c)] * unbias);
        }
      }
    } else {
      const float* rm = running_mean.data<float>();
      const float* rv = running_var.data<float>();
      for (int64_t c = 0; c < C; ++c) m[size_t(c)] = rm[c], v[size_t(c)] = rv[c];
    }
    for (int64_t c = 0; c < C; ++c) is[size_t(c)] = float(1.0 / std::sqrt(double(v[size_t(c)]) + eps));
    std::vector<float> scale(static_cast<size_t>(C));
    for (int64_t c = 0; c < C; ++c) scale[size_t(c)] = g.data<float>()[c] * is[size_t(c)];
    kernels::bn_apply_cpu(x.data<float>(), y.data<float>(), N, C, HW, m.data(), scale.data(), b.data<float>());
    std::copy(m.begin(), m.end(), mean.data<float>());
    std::copy(is.begin(), is.end(), invstd.data<float>());
  } else {
#if FBD_WITH_CUDA
    NoGradGuard no_grad;
    const int d = dev.index;
    if (training) {
      detail::cudnn_bn_forward_training(
          d, x.data<float>(), y.data<float>(), N, C, H, W, g.data<float>(), b.data<float>(), momentum,
          running_mean.defined() ? running_mean.data<float>() : nullptr,
          running_var.defined() ? running_var.data<float>() : nullptr, eps, mean.data<float>(), invstd.data<float>());
    } else {
      detail::cudnn_bn_forward_inference(d, x.data<float>(), y.data<float>(), N, C, H, W, g.data<float>(),
                                         b.data<float>(), running_mean.data<float>(), running_var.data<float>(), eps);
      mean = running_mean.detach().clone();
      invstd = div(Tensor::ones({C}, dev), sqrt(add_scalar(running_var.detach(), float(eps))));
    }
    cuda::check_launch(op);
#else
    FBD_FAIL(op, ": fbd was built without CUDA");
#endif
  }
  scope.add_bytes(2 * x.nbytes());

  if (needs_grad({&x, &gamma, &beta})) {
    const Tensor xd = x.detach();
    const bool gx = x.requires_grad(), gg = gamma.defined() && gamma.requires_grad(),
               gb = beta.defined() && beta.requires_grad();
    record(y, op, {x, gamma, beta}, [xd, g, mean, invstd, training, eps, N, C, H, W, gx, gg, gb](const Tensor& gy) {
      (void)eps;  // read by the cuDNN branch only
      Tensor dx, dgamma, dbeta;
      if (gy.is_cpu()) {
        if (gx) dx = Tensor::empty(xd.shape());
        dgamma = Tensor::empty({C});
        dbeta = Tensor::empty({C});
        kernels::bn_backward_cpu(xd.data<float>(), gy.data<float>(), N, C, H * W, mean.data<float>(),
                                 invstd.data<float>(), g.data<float>(), training, gx ? dx.data<float>() : nullptr,
                                 dgamma.data<float>(), dbeta.data<float>());
      } else if (training) {
#if FBD_WITH_CUDA
        dx = Tensor::empty(xd.shape(), DType::F32, gy.device());
        dgamma = Tensor::empty({C}, DType::F32, gy.device());
        dbeta = Tensor::empty({C}, DType::F32, gy.device());
        detail::cudnn_bn_backward(gy.device().index, xd.data<float>(), gy.data<float>(), dx.data<float>(), N, C, H, W,
                                  g.data<float>(), dgamma.data<float>(), dbeta.data<float>(), eps, mean.data<float>(),
                                  invstd.data<float>());
        cuda::check_launch("batch_norm2d.backward");
#endif
      } else {
        const auto r = eval_backward_ops(gy, xd, g, mean, invstd, C);
        dx = r[0], dgamma = r[1], dbeta = r[2];
      }
      return std::vector<Tensor>{gx ? dx : Tensor(), gg ? dgamma : Tensor(), gb ? dbeta : Tensor()};
    });
  }
  return y;
}

BatchNorm2d::BatchNorm2d(const BatchNorm2dOptions& o) : Module("BatchNorm2d"), o_(o) {
  FBD_CHECK(o.channels > 0, "BatchNorm2d: channels must be positive, got ", o.channels);
  if (o.affine_) {
    weight_ = register_parameter("weight", Tensor::ones({o.channels}));
    bias_ = register_parameter("bias", Tensor::zeros({o.channels}));
  }
  if (o.track_) {
    running_mean_ = register_buffer("running_mean", Tensor::zeros({o.channels}));
    running_var_ = register_buffer("running_var", Tensor::ones({o.channels}));
  }
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  // Without tracked statistics PyTorch normalises with the batch's in eval mode too.
  const bool use_batch = is_training() || !o_.track_;
  return batch_norm2d(x, weight_, bias_, running_mean_, running_var_, use_batch, o_.momentum_, o_.eps_);
}

void BatchNorm2d::set_momentum(double m) {
  FBD_CHECK(m >= 0 && m <= 1, "BatchNorm2d: momentum must be in [0, 1], got ", m);
  o_.momentum_ = m;
}

namespace {
void collect_batch_norms(Module& m, std::vector<BatchNorm2d*>& out) {
  if (auto* bn = dynamic_cast<BatchNorm2d*>(&m); bn && bn->options().track_) out.push_back(bn);
  for (auto& [name, child] : m.named_children()) collect_batch_norms(*child, out);
}
}  // namespace

void recompute_batch_norm_stats(Module& net, int64_t batches, const std::function<void(int64_t)>& forward_batch) {
  FBD_CHECK(batches >= 1, "recompute_batch_norm_stats: needs at least one batch, got ", batches);
  std::vector<BatchNorm2d*> bns;
  collect_batch_norms(net, bns);
  if (bns.empty()) return;
  const bool was_training = net.is_training();
  std::vector<double> momenta;
  for (BatchNorm2d* bn : bns) {
    momenta.push_back(bn->options().momentum_);
    Tensor mean = bn->running_mean(), var = bn->running_var();
    fill_(mean, 0.0f), fill_(var, 1.0f);
  }
  net.train();
  {
    NoGradGuard no_grad;
    // With momentum 1/(k+1) at batch k the running value is the mean of the k+1 batches' values.
    for (int64_t k = 0; k < batches; ++k) {
      for (BatchNorm2d* bn : bns) bn->set_momentum(1.0 / double(k + 1));
      forward_batch(k);
    }
  }
  for (size_t i = 0; i < bns.size(); ++i) bns[i]->set_momentum(momenta[i]);
  net.train(was_training);
}

}  // namespace fbd::nn
