// Per-element math of activation.h, shared by the CPU twin and CUDA.
#pragma once
#include "kernels/common.h"

namespace fbd::kernels {

FBD_HD float leaky_relu_fwd(float x, float a) { return x > 0.0f ? x : a * x; }
FBD_HD float leaky_relu_bwd(float x, float gy, float a) { return x > 0.0f ? gy : a * gy; }

}  // namespace fbd::kernels
