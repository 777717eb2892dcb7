// A study's unit of work (fbd compare, fbd ablate): train one configuration in memory under the
// study's split and score its last epoch on the held-out patients' whole slices (no selection on
// the held-out patients), as means over their slices, on the whole slice and on the tumour's
// quadrant (the paper's figures show quadrants, so its specificity is the quadrant's).
#pragma once
#include <vector>

#include "apps/train/evaluate.h"
#include "apps/train/trainer.h"

namespace fbd::app {

struct HeldOutScores {
  double dice = NAN, precision = NAN, sensitivity = NAN, specificity = NAN, miou = NAN, hd95 = NAN;
  double boundary_iou = NAN, boundary_dice = NAN;
};

// Means over the cases where each metric is defined.
HeldOutScores mean_scores(const std::vector<CaseMetrics>& cases);

struct ScoredRun {
  TrainResult result;
  HeldOutScores scores;           // whole slices
  HeldOutScores quadrant_scores;  // the tumour's quadrant (EvalOptions::fov "quadrant")
  double seconds = 0;             // training and scoring
};

// Trains `c` (its split filled) from scratch in memory, with the progress line, and scores it on
// `test_slices` (load_slices of the held-out cases), on whole slices and on the tumour quadrants.
ScoredRun train_and_score(const data::Dataset& ds, const RunConfig& c, const std::vector<data::Sample>& test_slices);

}  // namespace fbd::app
