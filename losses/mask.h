// Masks as the losses and metrics take them: a batch of binary images, shaped (H, W),
// (N, H, W) or (N, 1, H, W), float32 {0, 1} or uint8 {0, 1}. Anything else is an error, not
// silently thresholded (docs/LOSSES.md).
#pragma once
#include "core/tensor.h"

namespace fbd {

struct MaskGeometry {
  int64_t n = 1, h = 0, w = 0;
};

// The (N, H, W) of a mask or logit batch; throws "<what>: expected (H,W), (N,H,W) or (N,1,H,W), got ...".
MaskGeometry mask_geometry(const Tensor& t, const char* what);

// Throws "<what>: mask values must be 0 or 1, found <v> at index <i>" (also for NaN).
void check_binary_mask(const Tensor& mask, const char* what);

}  // namespace fbd
