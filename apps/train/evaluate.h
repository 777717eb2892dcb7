// Inference and evaluation on whole slices, as the paper runs it: each slice is split into its
// four breast quadrants (data/quadrants.h), every quadrant is normalised, resized to the
// network's input size and predicted, and the probabilities are resized back and stitched to
// full size. Without quadrant division the whole slice is resized instead.
#pragma once
#include <string>
#include <vector>

#include "apps/nets/seg_net.h"
#include "apps/train/run_config.h"
#include "data/dataset.h"
#include "data/image.h"
#include "losses/metrics.h"

namespace fbd::app {

struct SlicePrediction {
  std::string id;
  data::Image image;      // as loaded, [0, 1]
  data::Image mask;       // ground truth (empty when unknown)
  data::Image edge;       // ground-truth edge (empty when unknown)
  data::Image prob;       // predicted tumour probability, full size
  data::Image edge_prob;  // predicted edge probability (empty for networks without an edge head)
};

// Runs `net` in eval mode without gradients on the samples (image, and mask/edge if known).
std::vector<SlicePrediction> predict_slices(SegNet& net, const std::vector<data::Sample>& slices, const RunConfig& c,
                                            Device device);

// Per-slice metrics of thresholded predictions (p >= 0.5) against the ground truth.
struct CaseMetrics {
  std::string id;
  ImageMetrics m;
};

struct EvalOptions {
  // The field of view scored: "slice" (the whole slice) or "quadrant" (the breast quadrant(s)
  // holding the tumour, as the paper's figures show them: data/quadrants.h's layout of the
  // slice, the union of the quadrants the ground truth touches, clipped to the image; the whole
  // slice where the truth is empty). Specificity and pixel accuracy depend on it most: the
  // background of a whole slice dwarfs the tumour.
  std::string fov = "slice";
  // Clean-up of the thresholded prediction, as fbd predict offers it.
  bool largest = false;     // keep the largest connected component
  bool fill_holes = false;  // fill holes inside it
};
// One-line error naming --fov for anything but slice or quadrant.
void check_eval_options(const EvalOptions& o);

std::vector<CaseMetrics> evaluate_predictions(const std::vector<SlicePrediction>& preds, const EvalOptions& o = {});

// Per-patient rows (the paper's Table 2 lists patients, "case 1-20"): a patient's slices are
// pooled as one volume for the overlap metrics (Dice, IoU, mIoU, precision, sensitivity,
// specificity and accuracy from the summed TP/FP/FN/TN counts), while the distances and
// boundary scores (HD, HD95, boundary IoU and Dice), which are 2D measures, are the mean over
// the patient's slices where defined. hd_one_empty is set when any slice had it. Rows in data
// set order, id = the patient.
std::vector<CaseMetrics> per_patient(const std::vector<CaseMetrics>& slices, const data::Dataset& ds);

// The per-case columns of the paper's Table 2 as fbd reports them (eval CSV, reports).
const std::vector<Metric>& table2_metrics();

// Mean of one metric over the cases where it is defined, and how many were left out.
MetricMean mean_metric(const std::vector<CaseMetrics>& cases, Metric m);

// Full slices of a data set, in data set order (edges derived from masks where absent).
std::vector<data::Sample> load_slices(const data::Dataset& ds, const std::vector<std::string>& ids);

}  // namespace fbd::app
