// Per-element math of instance normalisation (instance_norm_kernels.h), shared by
// instance_norm.cu and instance_norm_cpu.cpp.
#pragma once
#include <cmath>

#include "kernels/common.h"
#include "kernels/instance_norm_kernels.h"

namespace fbd::kernels {

// Mean and inverse standard deviation of one plane from the sums of d = x - x0 and d^2 over its
// M values (the shift x0 is the plane's first value), in double.
struct PlaneStats {
  float mean, invstd;
};
FBD_HD PlaneStats instance_norm_stats(double sum_d, double sum_d2, float x0, int64_t M, float eps) {
  const double m = sum_d / double(M);
  double var = sum_d2 / double(M) - m * m;
  var = var > 0.0 ? var : 0.0;
  return {float(double(x0) + m), float(1.0 / sqrt(var + double(eps)))};
}

// y = (x - mean) * scale + shift with scale = gamma invstd, shift = beta (kept as two steps, as
// batch norm does, so a constant plane gives exactly beta).
FBD_HD float instance_norm_apply(float x, float mean, float scale, float beta) { return (x - mean) * scale + beta; }

// The backward's per-element term and input gradient: xhat = (x - mean) invstd;
// dx = k (gy - a - xhat b) with k = gamma invstd, a = S1 / M, b = S2 / M.
FBD_HD float instance_norm_xhat(float x, float mean, float invstd) { return (x - mean) * invstd; }
FBD_HD float instance_norm_dx(float gy, float xhat, float k, float a, float b) { return k * (gy - a - xhat * b); }

}  // namespace fbd::kernels
