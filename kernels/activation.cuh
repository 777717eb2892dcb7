// Per-element math of activation.h, shared by the CPU twin and CUDA.
#pragma once
#include "kernels/activation_kernels.h"
#include "kernels/common.h"

namespace fbd::kernels {

FBD_HD float leaky_relu_fwd(float x, float a) { return x > 0.0f ? x : a * x; }
FBD_HD float leaky_relu_bwd(float x, float gy, float a) { return x > 0.0f ? gy : a * gy; }

// PReLU is LeakyReLU with the slope of the element's channel; its slope gradient term:
FBD_HD float prelu_slope_grad(float x, float gy) { return x > 0.0f ? 0.0f : x * gy; }
// The slope of plane `plane` (= n * channels + c).
FBD_HD float prelu_slope(const float* a, int64_t plane, const PreluGeom& g) {
  return g.per_channel ? a[plane % g.channels] : a[0];
}

}  // namespace fbd::kernels
