// Summaries over the folds of a cross-validation (and the runs of a comparison): mean +- std
// of a metric, epoch-wise mean and std curves over folds, and the per-fold CSV table.
#pragma once
#include <string>
#include <vector>

#include "apps/train/epoch_record.h"
#include "apps/train/held_out.h"

namespace fbd::app {

struct MeanStd {
  double mean = 0, std = 0;  // population std; NaN mean when no value is finite
  int n = 0;                 // finite values used
};
MeanStd mean_std(const std::vector<double>& values);

// Epoch-wise mean over folds of every metric (NaN values left out); the folds' histories must
// have the same length. `seconds` is the mean epoch time.
std::vector<EpochRecord> mean_curves(const std::vector<std::vector<EpochRecord>>& folds);
// Epoch-wise population std over folds of every metric.
std::vector<EpochRecord> std_curves(const std::vector<std::vector<EpochRecord>>& folds);

// One row per (k, fold, epoch): "k,fold,epoch,<metrics_csv_columns() after epoch>".
struct FoldRun {
  int k = 0, fold = 0;  // fold is 1-based
  std::vector<std::string> train_patients, test_patients;
  std::vector<EpochRecord> history;
  double seconds = 0;
  size_t test_slices = 0;
  // The last epoch scored on the held-out whole slices and on the tumour quadrants
  // (apps/train/held_out.h): boundary scores and the paper's field of view.
  HeldOutScores final_scores{}, final_quadrant{};
};
std::string crossval_csv(const std::vector<FoldRun>& runs);

}  // namespace fbd::app
