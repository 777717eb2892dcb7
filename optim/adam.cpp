#include "optim/adam.h"

#include <cmath>

#include "optim/fused.h"

namespace fbd::optim {

Adam::Adam(const char* name, NamedTensors params, const AdamOptions& o, bool decoupled)
    : Optimizer(name, std::move(params), o.lr, {"exp_avg", "exp_avg_sq"}), o_(o), decoupled_(decoupled) {
  FBD_CHECK(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1, name, ": betas must be in [0, 1), got ",
            o.beta1, ", ", o.beta2);
  FBD_CHECK(o.eps > 0 && o.weight_decay >= 0 && std::isfinite(o.weight_decay), name,
            ": eps must be > 0 and weight decay finite and >= 0 (got ", o.eps, ", ", o.weight_decay, ")");
}

void Adam::update(const std::vector<size_t>& which) {
  std::vector<kernels::ParamSlot> slots;
  for (size_t i : which) {
    const double t = double(param_steps_[i] + 1);
    const double bc1 = 1.0 - std::pow(o_.beta1, t), bc2 = 1.0 - std::pow(o_.beta2, t);
    kernels::ParamSlot s;
    s.param = params_[i].second.data<float>();
    s.grad = params_[i].second.grad().data<float>();
    s.buf0 = buffers_[i][0].data<float>();
    s.buf1 = buffers_[i][1].data<float>();
    s.n = params_[i].second.numel();
    s.step_size = float(lr_ / bc1);
    s.bc2_sqrt = float(std::sqrt(bc2));
    slots.push_back(s);
  }
  kernels::AdamHyper h;
  h.lr = float(lr_);
  h.beta1 = float(o_.beta1);
  h.beta2 = float(o_.beta2);
  h.eps = float(o_.eps);
  h.weight_decay = float(o_.weight_decay);
  h.decoupled = decoupled_ ? 1 : 0;
  detail::run_adam(params_.front().second.device(), slots, h);
}

}  // namespace fbd::optim
