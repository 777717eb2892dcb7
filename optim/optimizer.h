// Optimizers over named parameters (Module::named_parameters(), or any (name, tensor) list).
// step() updates every parameter that has a gradient in one fused launch (kernels/optim_kernels.h):
// one OpenMP loop on the CPU, one CUDA kernel on a GPU. All parameters must be float32 and on
// one device; state buffers are allocated beside them at construction.
//
// State: per parameter its buffers ("<name>.momentum_buffer" for SGD with momentum,
// "<name>.exp_avg" / "<name>.exp_avg_sq" for Adam) and its step count ("<name>.step", int32
// scalar), plus "lr". state_dict() returns these (the buffers are live handles);
// load_state_dict(state, source) checks everything before copying, and errors name `source`.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace fbd::optim {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  void step();
  void zero_grad();  // drops every parameter's gradient (PyTorch's set_to_none)

  double lr() const { return lr_; }
  void set_lr(double lr);
  int64_t steps() const { return steps_; }  // calls of step()
  const NamedTensors& params() const { return params_; }
  const char* name() const { return name_; }

  NamedTensors state_dict() const;
  void load_state_dict(const NamedTensors& state, const std::string& source = "optimizer state");

 protected:
  // `buffers` names the per-parameter state tensors this optimizer keeps.
  Optimizer(const char* name, NamedTensors params, double lr, std::vector<std::string> buffers);
  // Updates the parameters listed in `which` (indices into params_, all with gradients).
  virtual void update(const std::vector<size_t>& which) = 0;

  const char* name_;
  NamedTensors params_;
  std::vector<std::string> buffer_names_;
  std::vector<std::vector<Tensor>> buffers_;  // [param][buffer]
  std::vector<int64_t> param_steps_;          // updates applied to each parameter so far
  double lr_;
  int64_t steps_ = 0;
};

// Names parameters "0", "1", ... for callers with a plain list.
NamedTensors name_params(const std::vector<Tensor>& params);

}  // namespace fbd::optim
