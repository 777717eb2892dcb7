#include "optim/clip.h"

#include <cmath>

#include "core/autograd.h"
#include "core/ops.h"

namespace fbd::optim {

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm) {
  FBD_CHECK(max_norm > 0 && std::isfinite(max_norm), "clip_grad_norm_: max_norm must be finite and > 0, got ",
            max_norm);
  NoGradGuard no_grad;
  std::vector<Tensor> grads;
  for (const Tensor& p : params)
    if (p.defined() && p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return 0.0;
  // Per-tensor sums of squares on the parameters' device, then one host read.
  Tensor total;
  for (const Tensor& g : grads) {
    FBD_CHECK(g.device() == grads.front().device(), "clip_grad_norm_: gradients on different devices (",
              g.device().str(), " and ", grads.front().device().str(), ")");
    const Tensor s = sum(mul(g, g));
    total = total.defined() ? add(total, s) : s;
  }
  const double norm = std::sqrt(double(total.item()));
  if (!std::isfinite(norm)) return norm;
  const double coef = max_norm / (norm + 1e-6);
  if (coef < 1.0) {
    for (const Tensor& p : params) {
      if (!p.defined() || !p.grad().defined()) continue;
      p.impl_ptr()->grad = mul_scalar(p.grad(), float(coef)).impl_shared();
    }
  }
  return norm;
}

double clip_grad_norm_(const NamedTensors& params, double max_norm) {
  std::vector<Tensor> ps;
  for (const auto& [n, p] : params) ps.push_back(p);
  return clip_grad_norm_(ps, max_norm);
}

}  // namespace fbd::optim
