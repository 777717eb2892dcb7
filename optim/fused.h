// Runs a multi-tensor optimizer kernel (kernels/optim_kernels.h) over a slot table: on the CPU
// directly; on CUDA after uploading the slot table and chunk list to the device in one copy.
#pragma once
#include <vector>

#include "core/tensor.h"
#include "kernels/optim_kernels.h"

namespace fbd::optim::detail {

void run_sgd(Device dev, const std::vector<kernels::ParamSlot>& slots, const kernels::SgdHyper& h);
void run_adam(Device dev, const std::vector<kernels::ParamSlot>& slots, const kernels::AdamHyper& h);

}  // namespace fbd::optim::detail
