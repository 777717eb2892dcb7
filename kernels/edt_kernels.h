// Exact Euclidean distance transform, batched, with pixel spacing (math: kernels/edt.cuh).
//
//   Distance: dist[n, y, x] = min over (y', x') with input[n, y', x'] == 0 of
//                             sqrt((sy (y - y'))^2 + (sx (x - x'))^2)
//
// i.e. SciPy's distance_transform_edt(input, sampling=(sy, sx)) for each image: the distance
// from every pixel to the nearest zero pixel (0 on zero pixels). An image with no zero pixel
// has no such distance: every value is +inf (SciPy returns an artefact there; see
// losses/edt.h for what the losses and metrics do with such images).
//
//   Signed: docs/LOSSES.md's phi for a binary mask g (nonzero = foreground), in the same two passes:
//           +EDT(1-g) on background pixels, -(EDT(g) - 1) on foreground pixels, and 0 on every
//           pixel of an image that is empty or full.
//
// Limits: height and width below kEdtMaxSide (2^24) each, so every squared distance is an exact
// double; the callers check this.
//
// Read in this order:
//   1. kernels/edt_kernels.h (this file): the entry points, CPU and CUDA
//   2. kernels/edt.cuh: the per-element math both backends share
//   3. kernels/edt_cpu.cpp: the CPU twin
//   4. kernels/edt.cu: the CUDA kernels and how they split the work
//   5. losses/edt.cpp: the op that calls them
//   6. docs/kernels/edt.md: the derivations and the measured numbers
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/common.h"

namespace fbd::kernels {

// Height and width must be below this (squared distances stay exact integers in double).
inline constexpr int64_t kEdtMaxSide = int64_t(1) << 24;

enum class EdtOutput : int {
  Distance = 0,  // distance to the nearest zero pixel (SciPy's distance_transform_edt); +inf if none
  Signed = 1,    // phi above
};

// CPU twin (OpenMP over columns, then over rows; allocates its own scratch on the host).
void edt_cpu(const uint8_t* input, float* out, int64_t batch, int64_t height, int64_t width, float spacing_y,
             float spacing_x, EdtOutput mode = EdtOutput::Distance);
void edt_cpu(const float* input, float* out, int64_t batch, int64_t height, int64_t width, float spacing_y,
             float spacing_x, EdtOutput mode = EdtOutput::Distance);

// CUDA: two launches (column pass, row pass) on stream s. The workspace holds one int32 code
// per pixel and a stack of 2 * width int32 per row in flight.
size_t edt_workspace_bytes(int64_t batch, int64_t height, int64_t width);
void edt_cuda(const uint8_t* input, float* out, int64_t batch, int64_t height, int64_t width, float spacing_y,
              float spacing_x, EdtOutput mode, void* workspace, Stream s);
void edt_cuda(const float* input, float* out, int64_t batch, int64_t height, int64_t width, float spacing_y,
              float spacing_x, EdtOutput mode, void* workspace, Stream s);

}  // namespace fbd::kernels
