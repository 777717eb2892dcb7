// Module: the building block of a network, as in PyTorch. A module owns named parameters
// (tensors that require grad), named buffers (state that is saved but not trained, such as
// batch norm's running statistics) and named child modules; it is in training or evaluation
// mode; and its state_dict is every parameter and buffer of the tree under dotted names
// ("enc1.conv.weight"), in PyTorch's order (a module's parameters, then its buffers, then its
// children's, depth first).
//
// Tensors are handles: the layer's own member (`weight_`), the registry entry and an
// optimizer's list share one TensorImpl, so `to(device)` and `load_state_dict` change the
// data in place and every holder sees it.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace fbd::nn {

class Module {
 public:
  explicit Module(std::string type_name) : type_name_(std::move(type_name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The one-input forward of most layers. Modules with another signature (Concat) define
  // their own and leave this one, which then says so.
  virtual Tensor forward(const Tensor& x);
  Tensor operator()(const Tensor& x) { return forward(x); }

  // ---- the tree ----
  std::vector<Tensor> parameters() const;
  NamedTensors named_parameters() const;
  NamedTensors named_buffers() const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const { return children_; }
  int64_t num_parameters() const;  // total elements
  const std::string& type_name() const { return type_name_; }

  // ---- state ----
  NamedTensors state_dict() const;
  // Copies `state` into the parameters and buffers in place. Strict: every entry of
  // state_dict() must be present with the same shape and dtype, and nothing else; everything
  // is checked before anything is copied, so a failed load leaves the module unchanged. The
  // first mismatch is a one-line error starting with `source` (a file name, say).
  void load_state_dict(const NamedTensors& state, const std::string& source = "state_dict");

  // ---- mode and placement ----
  void train(bool on = true);  // this module and all below it
  void eval() { train(false); }
  bool is_training() const { return training_; }
  void to(Device device);  // moves every parameter and buffer (gradients are dropped)
  Device device() const;   // of the first parameter or buffer (CPU when there is none)
  void zero_grad();        // drops the gradients of every parameter

 protected:
  // Registers a parameter (marks it requires_grad) and returns the shared handle.
  Tensor register_parameter(const std::string& name, Tensor t);
  Tensor register_buffer(const std::string& name, Tensor t);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    check_new_name(name);
    children_.emplace_back(name, m);
    return m;
  }
  // Throws unless `name` is a new, dot-free member name.
  void check_new_name(const std::string& name) const;

 private:
  void collect(const std::string& prefix, NamedTensors* params, NamedTensors* buffers, NamedTensors* state) const;

  std::string type_name_;
  bool training_ = true;
  NamedTensors params_, buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

// Runs its children in order.
class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  // Appends a module under the name of its index ("0", "1", ...), as torch.nn.Sequential.
  template <typename M>
  std::shared_ptr<M> add(std::shared_ptr<M> m) {
    return register_module(std::to_string(named_children().size()), std::move(m));
  }
  Tensor forward(const Tensor& x) override;
  size_t size() const { return named_children().size(); }
};

// Puts the data of `src` into the tensor `dst` refers to, keeping dst's identity (every
// handle to it sees the new data); shape and dtype may change. Gradient and graph are dropped.
void replace_data(const Tensor& dst, const Tensor& src);

}  // namespace fbd::nn
