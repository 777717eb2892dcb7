// What `fbd crossval` and `fbd compare` share: checking their list options and output folder
// before anything runs, averaging per-epoch curves over folds, mean +- std summaries, their
// CSV tables, and a grouped bar chart (the paper's Fig. 18) for the reports.
#pragma once
#include <string>
#include <vector>

#include "apps/trainer.h"

namespace fbd::app {

// "3,6,9" -> {3, 6, 9}: each k at least 2 and at most `patients` (so every fold has a test
// patient), no repeats; one-line errors naming --folds.
std::vector<int> parse_fold_list(const std::string& text, size_t patients);

// "fbdnet,unet" -> {"fbdnet", "unet"}: every name in `allowed`, no repeats, not empty.
std::vector<std::string> parse_name_list(const std::string& text, const std::string& what,
                                         const std::vector<std::string>& allowed);

const std::vector<std::string>& net_names();  // fbdnet, unet, attunet

// An output folder for a study: new, or an existing empty folder (never mixed with other files).
void check_new_study_folder(const std::string& dir, const std::string& what);

struct MeanStd {
  double mean = 0, std = 0;  // population std; NaN mean when no value is finite
  int n = 0;                 // finite values used
};
MeanStd mean_std(const std::vector<double>& values);
std::string format_mean_std(const MeanStd& m, int digits = 3);  // "0.812 ± 0.034", "n/a"

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
};
std::string crossval_csv(const std::vector<FoldRun>& runs);

// A grouped bar chart as SVG: one group per category (e.g. a model), one bar per series (e.g.
// Dice, precision, specificity), values in [0, y_max]; NaN bars are left out.
struct BarChart {
  std::string title, y_label;
  std::vector<std::string> categories, series;
  std::vector<std::vector<double>> values;  // [category][series]
  double y_max = 1.0;
};
std::string render_bars_svg(const BarChart& chart, int width = 720, int height = 300);

}  // namespace fbd::app
