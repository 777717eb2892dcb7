// The shape-aware loss terms (paper Eq. 11-14, after Liu et al., MICCAI 2020), on logits:
//
// Compactness (Eq. 12), per image, mean over the batch:
//   P = sum over y < H-1, x < W-1 of sqrt((p[y+1,x] - p[y,x])^2 + (p[y,x+1] - p[y,x])^2 + o)
//   A = sum p,   L_compact = P^2 / (4 pi A)
//
// Smoothness (Eq. 13-14), as three pieces the network composes:
//   bands      C = g - erode(g), B = dilate(g) - g (3x3 square; outside the image is background)
//   embeddings E_c[n,c] = sum_i T[n,c,i] C[n,i] / sum_i C[n,i]  (E_b likewise with B; 0 for an empty band)
//   smoothness over a batch of v projected embeddings e_c, e_b (each L2-normalised here):
//              L = (1/v^2) sum_{m,n} [ |e_c^m - e_c^n|^2 + max(0, margin - |e_c^m - e_b^n|)^2 ]
// (the projection head between embeddings and smoothness is a Linear layer of the network).
// Math: shape_loss.cuh; kernels and bytes: shape_loss.cu, docs/kernels/shape_loss.md.
//
// Read in this order:
//   1. kernels/shape_loss_kernels.h (this file): the entry points, CPU and CUDA
//   2. kernels/shape_loss.cuh: the per-element math both backends share (over kernels/loss_math.cuh)
//   3. kernels/shape_loss_cpu.cpp: the CPU twin (sums: kernels/image_sums_cpu.h)
//   4. kernels/shape_loss.cu: the CUDA kernels and how they split the work (sums: kernels/image_sums.cuh)
//   5. losses/shape_loss.cpp: the op that calls them
//   6. docs/kernels/shape_loss.md: the derivations and the measured numbers
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/common.h"

namespace fbd::kernels {

// ---- compactness ----
enum CompactStat : int { kCpPerimeter = 0, kCpArea = 1, kCpBad = 2, kCompactStats = 4 };

// sums[(N + 1) * kCompactStats] (row N: the batch) and value[0].
void compactness_forward_cpu(const float* z, int64_t N, int64_t H, int64_t W, float o, float* sums, float* value);
void compactness_backward_cpu(const float* z, int64_t N, int64_t H, int64_t W, float o, const float* sums,
                              const float* grad_out, float* dz);
// CUDA forward: the workspace holds the per-block partial sums and the blocks-done counter of
// the last-block reduction (kernels/image_sums.cuh), zeroed on stream s before the launch; the
// status reports that memset.
size_t compactness_workspace_bytes(int64_t N, int64_t HW);
LaunchStatus compactness_forward_cuda(const float* z, int64_t N, int64_t H, int64_t W, float o, float* sums,
                                      float* value, void* workspace, Stream s);
void compactness_backward_cuda(const float* z, int64_t N, int64_t H, int64_t W, float o, const float* sums,
                               const float* grad_out, float* dz, Stream s);

// ---- contour and background bands of a binary mask batch ----
void contour_bands_cpu(const float* g, float* contour, float* background, int64_t N, int64_t H, int64_t W);
void contour_bands_cuda(const float* g, float* contour, float* background, int64_t N, int64_t H, int64_t W, Stream s);

// ---- mask-averaged embeddings of a feature map T [N, C, HW] over the two bands [N, HW] ----
// ec, eb: [N, C]; counts: [N, 2] (sum C, sum B per image), kept for the backward.
void masked_means_forward_cpu(const float* T, const float* contour, const float* background, int64_t N, int64_t C,
                              int64_t HW, float* ec, float* eb, float* counts);
void masked_means_backward_cpu(const float* contour, const float* background, const float* counts, const float* gec,
                               const float* geb, int64_t N, int64_t C, int64_t HW, float* dT);
void masked_means_forward_cuda(const float* T, const float* contour, const float* background, int64_t N, int64_t C,
                               int64_t HW, float* ec, float* eb, float* counts, Stream s);
void masked_means_backward_cuda(const float* contour, const float* background, const float* counts, const float* gec,
                                const float* geb, int64_t N, int64_t C, int64_t HW, float* dT, Stream s);

// ---- smoothness over [N, D] contour and background embeddings ----
// Small (N images, D features): one thread block on the GPU, with a workspace for the
// normalised rows and the pair distances.
size_t smoothness_workspace_bytes(int64_t N, int64_t D);
void smoothness_forward_cpu(const float* xc, const float* xb, int64_t N, int64_t D, float margin, float* value);
void smoothness_backward_cpu(const float* xc, const float* xb, int64_t N, int64_t D, float margin,
                             const float* grad_out, float* dxc, float* dxb);
void smoothness_forward_cuda(const float* xc, const float* xb, int64_t N, int64_t D, float margin, float* value,
                             void* workspace, Stream s);
void smoothness_backward_cuda(const float* xc, const float* xb, int64_t N, int64_t D, float margin,
                              const float* grad_out, float* dxc, float* dxb, void* workspace, Stream s);

}  // namespace fbd::kernels
