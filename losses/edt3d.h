// Exact 3-D Euclidean distance transforms of volume batches with anisotropic voxel spacing
// (kernels/edt3d_kernels.h): the 2-D ops of losses/edt.h one dimension up.
#pragma once
#include "core/tensor.h"

namespace fbd {

// The (N, D, H, W) of a volume batch shaped (D,H,W), (N,D,H,W) or (N,1,D,H,W); throws
// "<what>: expected a shape (D,H,W), (N,D,H,W) or (N,1,D,H,W), got [...]".
struct VolumeGeometry {
  int64_t n = 1, d = 0, h = 0, w = 0;
};
VolumeGeometry volume_geometry(const Tensor& t, const char* what);

// SciPy's distance_transform_edt(input != 0, sampling=(spacing_z, spacing_y, spacing_x)) for each
// volume of a (D,H,W), (N,D,H,W) or (N,1,D,H,W) float32 or uint8 batch on the CPU or a CUDA
// device; float32, same shape, same device. A volume with no zero voxel gives +inf everywhere.
Tensor edt3d(const Tensor& input, float spacing_z = 1.0f, float spacing_y = 1.0f, float spacing_x = 1.0f);

// losses/edt.h's signed distance map phi for each volume of a binary mask batch (values other
// than 0 and 1 are an error): +EDT(1-g) outside, -(EDT(g) - 1) inside, 0 on an empty or full
// volume. float32, same shape and device.
Tensor signed_distance_map3d(const Tensor& mask, float spacing_z = 1.0f, float spacing_y = 1.0f,
                             float spacing_x = 1.0f);

}  // namespace fbd
