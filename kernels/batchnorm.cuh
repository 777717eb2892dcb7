// Per-element math of batch normalisation (formulas in batchnorm.h), for any backend.
#pragma once
#include "kernels/common.h"

namespace fbd::kernels {

FBD_HD float bn_apply(float x, float mean, float scale, float beta) { return (x - mean) * scale + beta; }

// Input gradient in training mode: k = gamma*invstd, a = dbeta/M, b = dgamma/M.
FBD_HD float bn_dx_train(float dy, float xhat, float k, float a, float b) { return k * (dy - a - xhat * b); }

}  // namespace fbd::kernels
