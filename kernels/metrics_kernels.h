// Segmentation metrics of docs/LOSSES.md as raw-pointer kernels, batched over N images of H x W.
// The op (losses/metrics.cpp) chains them:
//
//   1. metrics_binarize:  uint8 masks from probabilities (p >= threshold) and from the target.
//   2. metrics_masks:     per mask, its boundary (the mask minus its erosion by the 4-connected
//                         cross; pixels outside the image count as background, SciPy's
//                         binary_erosion default) stored as "not boundary" (0 on boundary pixels,
//                         the EDT's input), and its inner band (Cheng et al.'s boundary IoU: mask
//                         pixels within chessboard distance d of the background or the image edge,
//                         i.e. the mask minus its erosion by a (2d+1) x (2d+1) square).
//   3. metrics_counts:    per image the integer counts of kCountNames (TP, FP, FN, TN, ...).
//   4. edt (kernels/edt_kernels.h) of both "not boundary" masks: distance to the nearest boundary pixel.
//   5. metrics_hausdorff: per image, the directed distances from each boundary to the other, their
//                         maxima and 95th percentiles (linear interpolation, as numpy.percentile),
//                         and the percentile of the pooled distances (medpy's convention).
//
// The ratios (Dice, IoU, ...) are made from the counts on the host (losses/metrics.cpp), the
// same code for both devices.
//
// Read in this order:
//   1. kernels/metrics_kernels.h (this file): the entry points, CPU and CUDA
//   2. kernels/metrics.cuh: the per-element math both backends share
//   3. kernels/metrics_cpu.cpp: the CPU twin
//   4. kernels/metrics.cu: the CUDA kernels and how they split the work
//   5. losses/metrics.cpp: the op that calls them
//   6. docs/kernels/metrics.md: the derivations and the measured numbers
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/common.h"

namespace fbd::kernels {

// Per-image counters, in this order, kNumCounts int64 per image.
enum MetricCount : int {
  kTP = 0,    // pred 1, target 1
  kFP,        // pred 1, target 0
  kFN,        // pred 0, target 1
  kTN,        // pred 0, target 0
  kEdgeP,     // boundary pixels of pred
  kEdgeG,     // boundary pixels of target
  kBandP,     // band pixels of pred
  kBandG,     // band pixels of target
  kBandBoth,  // pixels in both bands
  kNumCounts,
};

// Per-image Hausdorff values, kNumHausdorff doubles per image (only meaningful when both masks
// have a boundary; the op handles the empty cases).
enum HausdorffValue : int {
  kHD = 0,      // max of the two directed maxima
  kHD95,        // max of the two directed q-th percentiles (MONAI)
  kHD95Pooled,  // q-th percentile of both directed distance sets together (medpy)
  kNumHausdorff,
};

// out[i] = in[i] >= threshold (1 or 0).
void metrics_binarize_cpu(const float* in, uint8_t* out, int64_t n, float threshold);
void metrics_binarize_cuda(const float* in, uint8_t* out, int64_t n, float threshold, Stream s);

// mask (0/1) -> not_edge (0 on boundary pixels, 1 elsewhere) and band (1 on band pixels).
// `rows` is scratch of N*H*W bytes (pixels whose row neighbourhood [x-d, x+d] is all mask).
void metrics_masks_cpu(const uint8_t* mask, uint8_t* not_edge, uint8_t* band, uint8_t* rows, int64_t batch,
                       int64_t height, int64_t width, int64_t d);
void metrics_masks_cuda(const uint8_t* mask, uint8_t* not_edge, uint8_t* band, uint8_t* rows, int64_t batch,
                        int64_t height, int64_t width, int64_t d, Stream s);

// counts[n * kNumCounts + c]. The CUDA version zeroes `counts` itself (a cudaMemsetAsync, whose
// result the status reports).
void metrics_counts_cpu(const uint8_t* pred, const uint8_t* target, const uint8_t* pred_not_edge,
                        const uint8_t* target_not_edge, const uint8_t* pred_band, const uint8_t* target_band,
                        int64_t* counts, int64_t batch, int64_t plane);
LaunchStatus metrics_counts_cuda(const uint8_t* pred, const uint8_t* target, const uint8_t* pred_not_edge,
                                 const uint8_t* target_not_edge, const uint8_t* pred_band, const uint8_t* target_band,
                                 int64_t* counts, int64_t batch, int64_t plane, Stream s);

// dist_to_target_edge / dist_to_pred_edge: the EDTs of the "not boundary" masks. Writes
// hd[n * kNumHausdorff + v] for images whose two masks both have a boundary (per `counts`);
// the others are left as they are. q: the percentile (95). The CUDA status reports CUB's
// segmented sort (and its size query).
void metrics_hausdorff_cpu(const uint8_t* pred_not_edge, const uint8_t* target_not_edge,
                           const float* dist_to_target_edge, const float* dist_to_pred_edge, const int64_t* counts,
                           double* hd, int64_t batch, int64_t plane, double q);
size_t metrics_hausdorff_workspace_bytes(int64_t batch, int64_t plane);
LaunchStatus metrics_hausdorff_cuda(const uint8_t* pred_not_edge, const uint8_t* target_not_edge,
                                    const float* dist_to_target_edge, const float* dist_to_pred_edge,
                                    const int64_t* counts, double* hd, int64_t batch, int64_t plane, double q,
                                    void* workspace, Stream s);

}  // namespace fbd::kernels
