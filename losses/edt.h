// Exact Euclidean distance transforms of mask batches (kernels/edt_kernels.h), and the signed distance
// map of the boundary loss (docs/LOSSES.md, after Kervadec et al.'s one_hot2dist):
//
//   phi(x) =  EDT(1 - g)(x)        where g(x) = 0   (distance to the nearest foreground pixel)
//   phi(x) = -(EDT(g)(x) - 1)      where g(x) = 1   (minus distance to the nearest background, less one)
//   phi    = 0 everywhere          where g is empty, and (fbd's choice) where g is full
//
// A full mask has no background pixel, so EDT(g) is infinite there. SciPy returns an artefact
// of its algorithm for that case (distances to an imaginary pixel at (-1, -1)); fbd instead
// treats a full mask like an empty one: no boundary to pull towards, phi = 0.
#pragma once
#include "core/tensor.h"

namespace fbd {

// SciPy's distance_transform_edt(input != 0, sampling=(spacing_y, spacing_x)) for each image of
// a (H,W), (N,H,W) or (N,1,H,W) float32 or uint8 batch; float32, same shape, same device.
// An image with no zero pixel gives +inf everywhere.
Tensor edt(const Tensor& input, float spacing_y = 1.0f, float spacing_x = 1.0f);

// phi above for a binary mask batch (values other than 0 and 1 are an error); float32, same
// shape and device. A function of the target only: compute it once per target.
Tensor signed_distance_map(const Tensor& mask, float spacing_y = 1.0f, float spacing_x = 1.0f);

// phi divided, image by image, by its largest magnitude, so that it lies in [-1, 1] whatever the
// image's and the lesion's size (the boundary term is then scale-free); an image whose phi is 0
// everywhere (empty or full mask) stays 0. (H,W), (N,H,W) or (N,1,H,W) float32, finite; same
// shape and device. Data preparation, not an op: no gradient; on the GPU the map makes one round
// trip through the host (once per batch of targets, like the map itself).
Tensor normalize_distance_map(const Tensor& sdm);

}  // namespace fbd
