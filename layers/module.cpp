#include "layers/module.h"

#include <unordered_map>
#include <unordered_set>

#include "core/autograd.h"

namespace fbd::nn {

Tensor Module::forward(const Tensor&) {
  FBD_FAIL(type_name_, ": this module has no one-input forward (see its header for how to call it)");
}

void Module::check_new_name(const std::string& name) const {
  FBD_CHECK(!name.empty() && name.find('.') == std::string::npos, type_name_, ": invalid member name '", name,
            "' (names are non-empty and have no dots)");
  for (const auto& [n, t] : params_) FBD_CHECK(n != name, type_name_, ": member '", name, "' registered twice");
  for (const auto& [n, t] : buffers_) FBD_CHECK(n != name, type_name_, ": member '", name, "' registered twice");
  for (const auto& [n, m] : children_) FBD_CHECK(n != name, type_name_, ": member '", name, "' registered twice");
}

Tensor Module::register_parameter(const std::string& name, Tensor t) {
  check_new_name(name);
  FBD_CHECK(t.defined() && t.dtype() == DType::F32, type_name_, ": parameter '", name, "' must be a float32 tensor");
  t.requires_grad_(true);
  params_.emplace_back(name, t);
  return t;
}

Tensor Module::register_buffer(const std::string& name, Tensor t) {
  check_new_name(name);
  FBD_CHECK(t.defined(), type_name_, ": buffer '", name, "' is undefined");
  buffers_.emplace_back(name, t);
  return t;
}

void Module::collect(const std::string& prefix, NamedTensors* params, NamedTensors* buffers,
                     NamedTensors* state) const {
  for (const auto& [n, t] : params_) {
    if (params) params->emplace_back(prefix + n, t);
    if (state) state->emplace_back(prefix + n, t);
  }
  for (const auto& [n, t] : buffers_) {
    if (buffers) buffers->emplace_back(prefix + n, t);
    if (state) state->emplace_back(prefix + n, t);
  }
  for (const auto& [n, m] : children_) m->collect(prefix + n + ".", params, buffers, state);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", &out, nullptr, nullptr);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [n, t] : named_parameters()) out.push_back(t);
  return out;
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect("", nullptr, &out, nullptr);
  return out;
}

NamedTensors Module::state_dict() const {
  NamedTensors out;
  collect("", nullptr, nullptr, &out);
  return out;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (auto& [name, t] : named_parameters()) n += t.numel();
  return n;
}

void Module::load_state_dict(const NamedTensors& state, const std::string& source) {
  const NamedTensors mine = state_dict();
  std::unordered_map<std::string, const Tensor*> given;
  for (const auto& [n, t] : state) {
    FBD_CHECK(given.emplace(n, &t).second, source, ": tensor '", n, "' appears twice");
  }
  std::unordered_set<std::string> expected;
  for (const auto& [n, t] : mine) {
    expected.insert(n);
    auto it = given.find(n);
    FBD_CHECK(it != given.end(), source, ": no tensor '", n, "' (the ", type_name_, " has it)");
    const Tensor& s = *it->second;
    FBD_CHECK(s.defined() && s.dtype() == t.dtype() && s.shape() == t.shape(), source, ": tensor '", n, "' is ",
              s.defined() ? dtype_name(s.dtype()) : "undefined", " ", s.defined() ? shape_str(s.shape()) : "",
              " but the ", type_name_, " expects ", dtype_name(t.dtype()), " ", shape_str(t.shape()));
  }
  for (const auto& [n, t] : state) {
    FBD_CHECK(expected.count(n), source, ": unexpected tensor '", n, "' (the ", type_name_, " has no such entry)");
  }
  NoGradGuard no_grad;
  for (const auto& [n, t] : mine) {
    const Tensor& s = *given[n];
    if (s.impl_ptr() != t.impl_ptr()) Tensor(t).copy_from(s);
  }
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [n, m] : children_) m->train(on);
}

void replace_data(const Tensor& dst, const Tensor& src) {
  TensorImpl* d = dst.impl_ptr();
  const TensorImpl* s = src.impl_ptr();
  FBD_CHECK(d != nullptr && s != nullptr, "replace_data: undefined tensor");
  if (d == s) return;
  d->storage = s->storage;
  d->offset = s->offset;
  d->shape = s->shape;
  d->dtype = s->dtype;
  d->grad.reset();
  d->grad_fn.reset();
}

void Module::to(Device device) {
  NoGradGuard no_grad;
  for (auto& [n, t] : state_dict()) {
    if (t.device() == device) continue;
    replace_data(t, t.detach().to(device));
  }
}

Device Module::device() const {
  const NamedTensors s = state_dict();
  return s.empty() ? Device::cpu() : s.front().second.device();
}

void Module::zero_grad() {
  for (auto& [n, t] : named_parameters()) Tensor(t).zero_grad();
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (auto& [n, m] : named_children()) y = m->forward(y);
  return y;
}

}  // namespace fbd::nn
