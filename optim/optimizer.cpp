#include "optim/optimizer.h"

#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "core/autograd.h"

namespace fbd::optim {

NamedTensors name_params(const std::vector<Tensor>& params) {
  NamedTensors out;
  for (size_t i = 0; i < params.size(); ++i) out.emplace_back(std::to_string(i), params[i]);
  return out;
}

Optimizer::Optimizer(const char* name, NamedTensors params, double lr, std::vector<std::string> buffers)
    : name_(name), params_(std::move(params)), buffer_names_(std::move(buffers)), lr_(lr) {
  FBD_CHECK(!params_.empty(), name_, ": no parameters to optimise");
  FBD_CHECK(std::isfinite(lr) && lr >= 0, name_, ": learning rate must be finite and >= 0, got ", lr);
  std::unordered_set<std::string> seen;
  std::unordered_set<const TensorImpl*> impls;
  const Device dev = params_.front().second.defined() ? params_.front().second.device() : Device::cpu();
  for (const auto& [n, p] : params_) {
    FBD_CHECK(p.defined() && p.dtype() == DType::F32, name_, ": parameter '", n, "' must be a float32 tensor");
    FBD_CHECK(p.device() == dev, name_, ": parameter '", n, "' is on ", p.device().str(), " but '",
              params_.front().first, "' is on ", dev.str(), " (move the model before creating the optimizer)");
    FBD_CHECK(seen.insert(n).second, name_, ": parameter name '", n, "' given twice");
    FBD_CHECK(impls.insert(p.impl_ptr()).second, name_, ": parameter '", n, "' given twice (same tensor)");
  }
  for (const auto& [n, p] : params_) {
    std::vector<Tensor> bufs;
    for (size_t b = 0; b < buffer_names_.size(); ++b) bufs.push_back(Tensor::zeros(p.shape(), DType::F32, dev));
    buffers_.push_back(std::move(bufs));
  }
  param_steps_.assign(params_.size(), 0);
}

void Optimizer::set_lr(double lr) {
  FBD_CHECK(std::isfinite(lr) && lr >= 0, name_, ": learning rate must be finite and >= 0, got ", lr);
  lr_ = lr;
}

void Optimizer::zero_grad() {
  for (auto& [n, p] : params_) Tensor(p).zero_grad();
}

void Optimizer::step() {
  std::vector<size_t> which;
  const Device dev = params_.front().second.device();
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto& [n, p] = params_[i];
    FBD_CHECK(p.device() == dev, name_, ": parameter '", n, "' moved to ", p.device().str(),
              " after the optimizer was created on ", dev.str());
    const Tensor g = p.grad();
    if (!g.defined()) continue;  // no gradient reached it: left alone, as PyTorch does
    FBD_CHECK(g.shape() == p.shape() && g.dtype() == DType::F32 && g.device() == dev, name_, ": gradient of '", n,
              "' is ", g.device().str(), " ", shape_str(g.shape()), " but the parameter is ", dev.str(), " ",
              shape_str(p.shape()));
    which.push_back(i);
  }
  ++steps_;
  if (which.empty()) return;
  NoGradGuard no_grad;
  update(which);
  for (size_t i : which) ++param_steps_[i];
}

NamedTensors Optimizer::state_dict() const {
  NamedTensors out;
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string& n = params_[i].first;
    for (size_t b = 0; b < buffer_names_.size(); ++b) out.emplace_back(n + "." + buffer_names_[b], buffers_[i][b]);
    const int32_t s = int32_t(param_steps_[i]);
    out.emplace_back(n + ".step", Tensor::from_data(&s, {}));
  }
  const float lr = float(lr_);
  out.emplace_back("lr", Tensor::from_data(&lr, {}));
  return out;
}

void Optimizer::load_state_dict(const NamedTensors& state, const std::string& source) {
  std::unordered_map<std::string, const Tensor*> given;
  for (const auto& [n, t] : state) FBD_CHECK(given.emplace(n, &t).second, source, ": tensor '", n, "' appears twice");
  const NamedTensors mine = state_dict();
  for (const auto& [n, t] : mine) {
    auto it = given.find(n);
    FBD_CHECK(it != given.end(), source, ": no tensor '", n, "' (the ", name_, " optimizer has it)");
    const Tensor& s = *it->second;
    FBD_CHECK(s.defined() && s.dtype() == t.dtype() && s.shape() == t.shape(), source, ": tensor '", n, "' is ",
              s.defined() ? dtype_name(s.dtype()) : "undefined", " ", s.defined() ? shape_str(s.shape()) : "",
              " but the ", name_, " optimizer expects ", dtype_name(t.dtype()), " ", shape_str(t.shape()));
  }
  for (const auto& entry : state) {
    const std::string& n = entry.first;  // a plain name: the lambda captures it (clang 14 cannot capture bindings)
    FBD_CHECK(given.count(n) && std::any_of(mine.begin(), mine.end(), [&](const auto& m) { return m.first == n; }),
              source, ": unexpected tensor '", n, "' (the ", name_, " optimizer has no such entry)");
  }
  const float lr = given["lr"]->item();
  FBD_CHECK(std::isfinite(lr) && lr >= 0, source, ": tensor 'lr' holds ", lr, ", not a learning rate");
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string& n = params_[i].first;
    const int32_t s = given[n + ".step"]->to_vector<int32_t>()[0];
    FBD_CHECK(s >= 0, source, ": tensor '", n, ".step' holds ", s, ", not a step count");
  }
  // Everything checked: copy.
  NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string& n = params_[i].first;
    for (size_t b = 0; b < buffer_names_.size(); ++b) buffers_[i][b].copy_from(*given[n + "." + buffer_names_[b]]);
    param_steps_[i] = given[n + ".step"]->to_vector<int32_t>()[0];
  }
  lr_ = lr;
}

}  // namespace fbd::optim
