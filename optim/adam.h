// Adam (torch.optim.Adam: L2 weight decay added to the gradient) and AdamW
// (torch.optim.AdamW: decoupled weight decay, p <- p (1 - lr wd) before the Adam update).
// Bias corrections use each parameter's own step count. Formulas: kernels/optim_kernels.h.
// amsgrad and maximize are not supported.
#pragma once
#include "optim/optimizer.h"

namespace fbd::optim {

struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
};

class Adam : public Optimizer {
 public:
  Adam(NamedTensors params, const AdamOptions& o) : Adam("Adam", std::move(params), o, false) {}
  const AdamOptions& options() const { return o_; }

 protected:
  Adam(const char* name, NamedTensors params, const AdamOptions& o, bool decoupled);

 private:
  void update(const std::vector<size_t>& which) override;
  AdamOptions o_;
  bool decoupled_;
};

// AdamW's usual default weight decay is 0.01 (PyTorch's); pass it in the options.
class AdamW : public Adam {
 public:
  AdamW(NamedTensors params, const AdamOptions& o) : Adam("AdamW", std::move(params), o, true) {}
};

}  // namespace fbd::optim
