// Per-block math of dropout (dropout.h): one Philox block decides four elements.
#pragma once
#include "kernels/common.h"
#include "kernels/philox.cuh"

namespace fbd::kernels {

// Elements 4b .. 4b+3 (those below n): mask and scaled output.
FBD_HD void dropout_block(const float* x, float* y, uint8_t* mask, int64_t b, int64_t n, float p, float scale,
                          uint64_t seed, uint64_t offset) {
  const Philox4 r = philox_block(seed, offset + uint64_t(b));
  for (int k = 0; k < 4; ++k) {
    const int64_t i = 4 * b + k;
    if (i >= n) break;
    const bool keep = u01_open1(r.w[k]) >= p;
    mask[i] = keep ? 1 : 0;
    y[i] = keep ? x[i] * scale : 0.0f;
  }
}

FBD_HD float dropout_grad(float gy, uint8_t keep, float scale) { return keep ? gy * scale : 0.0f; }

}  // namespace fbd::kernels
