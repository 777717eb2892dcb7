// Segmentation metrics of docs/LOSSES.md, per image and as batch means, on the CPU or a CUDA device
// (kernels/metrics_kernels.h; Hausdorff distances through the exact EDT of kernels/edt_kernels.h).
//
// Inputs: pred and target of the same shape, (H,W), (N,H,W) or (N,1,H,W), on the same device.
//  * pred: probabilities or a binary mask, float32 in [0, 1] (or uint8 0/1); a pixel is predicted
//    foreground when p >= threshold (0.5). Values outside [0, 1] or NaN are an error (logits must
//    go through a sigmoid first).
//  * target: a binary mask, float32 or uint8, values 0 and 1 only.
//
// Per image (TP, FP, FN, TN pixel counts of the binarised prediction against the target):
//   dice = 2TP / (2TP + FP + FN)            1 when both are empty
//   iou = TP / (TP + FP + FN)               1 when both are empty
//   miou = (iou + TN / (TN + FP + FN)) / 2  each 0/0 read as 1
//   precision = TP / (TP + FP)              NaN when nothing is predicted
//   sensitivity = TP / (TP + FN)            NaN when the target is empty
//   specificity = TN / (TN + FP)            NaN when the target has no negatives
//   accuracy = (TP + TN) / (H W)
//   hd, hd95: between the boundary pixel sets (mask minus its erosion by the 4-connected cross,
//     pixels outside the image counting as background), in spacing units. hd95 is the larger of
//     the two directed 95th percentiles (MONAI), or with Hd95::Pooled the 95th percentile of both
//     directed sets together (medpy). Both masks empty: 0. Exactly one empty: the image diagonal
//     sqrt(((H-1) sy)^2 + ((W-1) sx)^2), the largest distance two pixels can have, and the image
//     is flagged (hd_one_empty). Never NaN, never left out.
//   boundary_iou, boundary_dice: Cheng et al. 2021; the band of a mask is its pixels within
//     chessboard distance d of the background or the image edge, d = max(1, round(band_ratio *
//     sqrt(H^2 + W^2))) pixels (their reference code: cv2.erode by a 3x3 square d times). IoU and
//     Dice of the two bands; 1 when both bands are empty. In pixels, whatever the spacing.
// Undefined values are NaN for that image and left out of the batch mean; each mean carries
// the number of images it left out.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace fbd {

enum class Metric : int {
  Dice = 0,
  IoU,
  MIoU,
  Precision,
  Sensitivity,
  Specificity,
  Accuracy,
  HD,
  HD95,
  BoundaryIoU,
  BoundaryDice,
};
inline constexpr int kNumMetrics = 11;
const char* metric_name(Metric m);  // "dice", "iou", "miou", ..., "boundary_dice"

enum class Hd95 { MaxOfDirected, Pooled };

struct MetricOptions {
  float threshold = 0.5f;  // pred >= threshold is foreground
  float spacing_y = 1.0f, spacing_x = 1.0f;
  double band_ratio = 0.02;  // boundary IoU band width, as a fraction of the image diagonal
  Hd95 hd95 = Hd95::MaxOfDirected;
  double percentile = 95.0;
};

struct ImageMetrics {
  std::array<double, kNumMetrics> value{};  // indexed by Metric; NaN where undefined
  int64_t tp = 0, fp = 0, fn = 0, tn = 0;
  bool hd_one_empty = false;  // exactly one mask empty: hd and hd95 are the image diagonal
  double operator[](Metric m) const { return value[size_t(m)]; }
};

struct MetricMean {
  double mean = 0;       // over the images where the metric is defined (NaN if none is)
  int64_t used = 0;      // images averaged
  int64_t left_out = 0;  // images where it is undefined (NaN)
};

struct MetricsReport {
  std::vector<ImageMetrics> images;
  std::array<MetricMean, kNumMetrics> mean{};
  int64_t hd_one_empty = 0;  // images whose Hausdorff values are the diagonal
  int64_t band_width = 0;    // d of the boundary bands, in pixels
  const MetricMean& operator[](Metric m) const { return mean[size_t(m)]; }
};

MetricsReport compute_metrics(const Tensor& pred, const Tensor& target, const MetricOptions& options = {});

// The per-image values from counts and Hausdorff values (the host side shared by both devices).
// counts: kernels::kNumCounts int64, hd: kernels::kNumHausdorff doubles (read only when both
// masks have a boundary).
ImageMetrics image_metrics_from_counts(const int64_t* counts, const double* hd, int64_t height, int64_t width,
                                       const MetricOptions& options);

// Band width d for an H x W image: max(1, round-half-even(ratio * sqrt(H^2 + W^2))).
int64_t boundary_band_width(int64_t height, int64_t width, double ratio);

}  // namespace fbd
