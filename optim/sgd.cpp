#include "optim/sgd.h"

#include <cmath>

#include "optim/fused.h"

namespace fbd::optim {

namespace {
std::vector<std::string> sgd_buffers(const SgdOptions& o) {
  return o.momentum != 0.0 ? std::vector<std::string>{"momentum_buffer"} : std::vector<std::string>{};
}
}  // namespace

SGD::SGD(NamedTensors params, const SgdOptions& o) : Optimizer("SGD", std::move(params), o.lr, sgd_buffers(o)), o_(o) {
  FBD_CHECK(o.momentum >= 0 && o.weight_decay >= 0 && std::isfinite(o.momentum) && std::isfinite(o.weight_decay),
            "SGD: momentum and weight decay must be finite and >= 0 (got ", o.momentum, ", ", o.weight_decay, ")");
  FBD_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0),
            "SGD: Nesterov momentum needs momentum > 0 and zero dampening");
}

void SGD::update(const std::vector<size_t>& which) {
  std::vector<kernels::ParamSlot> slots;
  for (size_t i : which) {
    kernels::ParamSlot s;
    s.param = params_[i].second.data<float>();
    s.grad = params_[i].second.grad().data<float>();
    s.buf0 = buffers_[i].empty() ? nullptr : buffers_[i][0].data<float>();
    s.n = params_[i].second.numel();
    s.first = param_steps_[i] == 0 ? 1 : 0;
    slots.push_back(s);
  }
  kernels::SgdHyper h;
  h.lr = float(lr_);
  h.momentum = float(o_.momentum);
  h.dampening = float(o_.dampening);
  h.weight_decay = float(o_.weight_decay);
  h.nesterov = o_.nesterov ? 1 : 0;
  detail::run_sgd(params_.front().second.device(), slots, h);
}

}  // namespace fbd::optim
