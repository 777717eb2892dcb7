// Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_): with
// total = sqrt(sum over parameters of ||grad||^2), every gradient is scaled by
// max_norm / (total + 1e-6) when that factor is below 1. Parameters without a gradient are
// skipped. Returns the total norm before clipping (NaN or inf if a gradient holds one; the
// gradients are then left as they are, so the caller can skip the step).
#pragma once
#include <vector>

#include "optim/optimizer.h"

namespace fbd::optim {

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm);
double clip_grad_norm_(const NamedTensors& params, double max_norm);

}  // namespace fbd::optim
