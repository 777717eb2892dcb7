// Stochastic gradient descent with momentum, dampening, Nesterov momentum and (L2) weight
// decay, exactly as torch.optim.SGD (formulas in kernels/optim_kernels.h): the momentum buffer of a
// parameter starts as its first update direction.
#pragma once
#include "optim/optimizer.h"

namespace fbd::optim {

struct SgdOptions {
  double lr = 0.01, momentum = 0.0, dampening = 0.0, weight_decay = 0.0;
  bool nesterov = false;
};

class SGD : public Optimizer {
 public:
  SGD(NamedTensors params, const SgdOptions& o);
  const SgdOptions& options() const { return o_; }

 private:
  void update(const std::vector<size_t>& which) override;
  SgdOptions o_;
};

}  // namespace fbd::optim
