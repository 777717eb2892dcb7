// Exact Euclidean distance transform, batched, with pixel spacing.
//
//   dist[n, y, x] = min over (y', x') with input[n, y', x'] == 0 of
//                   sqrt((sy (y - y'))^2 + (sx (x - x'))^2)
//
// i.e. SciPy's distance_transform_edt(input, sampling=(sy, sx)) for each image: the distance
// from every pixel to the nearest zero pixel (0 on zero pixels). An image with no zero pixel
// has no such distance: every value is +inf (SciPy returns an artefact there; see
// losses/edt.h for what the losses and metrics do with such images).
#pragma once
#include <cstdint>

#include "kernels/common.h"

namespace fbd::kernels {

void edt_cpu(const uint8_t* input, float* dist, int64_t batch, int64_t height, int64_t width, float spacing_y,
             float spacing_x);

}  // namespace fbd::kernels
