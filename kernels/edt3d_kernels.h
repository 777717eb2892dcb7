// Exact 3-D Euclidean distance transform, batched, with anisotropic voxel spacing
// (math: kernels/edt3d.cuh, on top of the 2-D transform's kernels/edt.cuh).
//
//   Distance: dist[n, z, y, x] = min over (z', y', x') with input[n, z', y', x'] == 0 of
//             sqrt((sz (z - z'))^2 + (sy (y - y'))^2 + (sx (x - x'))^2)
//
// i.e. SciPy's distance_transform_edt(input, sampling=(sz, sy, sx)) for each volume: the distance
// from every voxel to the nearest zero voxel (0 on zero voxels), +inf on every voxel of a volume
// with no zero voxel.
//
//   Signed: the 2-D transform's phi one dimension up, for a binary mask g (nonzero = foreground):
//           +EDT(1-g) on background voxels, -(EDT(g) - 1) on foreground voxels, and 0 on every
//           voxel of a volume that is empty or full.
//
// Limits: depth, height and width below kEdtMaxSide (2^24) each, so every squared distance is an
// exact double for unit spacing; the callers check this. Spacing: positive and finite, in double
// (the metrics pass millimetres as doubles; the op's float spacing converts exactly).
//
// Read in this order:
//   1. kernels/edt3d_kernels.h (this file): the entry points, CPU and CUDA
//   2. kernels/edt3d.cuh: the per-line math both backends share (and kernels/edt.cuh below it)
//   3. kernels/edt3d_cpu.cpp: the CPU twin
//   4. kernels/edt3d.cu: the CUDA kernels and how they split the work
//   5. losses/edt3d.cpp: the op that calls them; losses/volume_metrics.cpp: the metrics
//   6. docs/kernels/edt.md, section "3-D": the derivation and the measured numbers
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/common.h"
#include "kernels/edt_kernels.h"

namespace fbd::kernels {

// CPU twin (three OpenMP-parallel passes). Its scratch, one double and one int32 code per
// voxel, is `workspace` (edt3d_cpu_workspace_bytes, 8-byte aligned, contents irrelevant) or,
// when null, allocated here: a caller that runs it repeatedly passes one from the host cache
// (core/allocator.h), so the 12 bytes per voxel are neither zeroed nor page-faulted in afresh
// on every call (docs/kernels/edt.md measures it).
size_t edt3d_cpu_workspace_bytes(int64_t batch, int64_t depth, int64_t height, int64_t width);
void edt3d_cpu(const uint8_t* input, float* out, int64_t batch, int64_t depth, int64_t height, int64_t width,
               double spacing_z, double spacing_y, double spacing_x, EdtOutput mode = EdtOutput::Distance,
               void* workspace = nullptr);
void edt3d_cpu(const float* input, float* out, int64_t batch, int64_t depth, int64_t height, int64_t width,
               double spacing_z, double spacing_y, double spacing_x, EdtOutput mode = EdtOutput::Distance,
               void* workspace = nullptr);

// CUDA: three launches (z, y, x passes) on stream s. The workspace holds one int32 code and one
// double per voxel, and a stack of 2 * max(height, width) int32 per line thread in flight.
size_t edt3d_workspace_bytes(int64_t batch, int64_t depth, int64_t height, int64_t width);
void edt3d_cuda(const uint8_t* input, float* out, int64_t batch, int64_t depth, int64_t height, int64_t width,
                double spacing_z, double spacing_y, double spacing_x, EdtOutput mode, void* workspace, Stream s);
void edt3d_cuda(const float* input, float* out, int64_t batch, int64_t depth, int64_t height, int64_t width,
                double spacing_z, double spacing_y, double spacing_x, EdtOutput mode, void* workspace, Stream s);

}  // namespace fbd::kernels
