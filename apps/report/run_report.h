// The report.html of a training run: the configuration, the training curves (loss, Dice, mIoU,
// pixel accuracy, Hausdorff; train solid, held-out dashed), the held-out per-patient table
// (paper Table 2) and per-slice table, prediction overlays (Fig. 10: ground truth green, prediction red) and the
// edge head beside the edge ground truth (Fig. 8), and any extra sections (the classifier).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "apps/report/html_report.h"
#include "apps/train/evaluate.h"
#include "apps/train/run_config.h"
#include "apps/train/trainer.h"
#include "data/dataset.h"

namespace fbd::app {

// The chart rows of a training history (shared with cross-validation's per-k curves).
std::vector<Chart> history_charts(const std::vector<EpochRecord>& history, const std::string& title_prefix = "");

// The per-case table with a mean row (Dice, precision, specificity, IoU, HD, HD95, boundary IoU
// and Dice); `unit` heads the first column ("case" or "patient").
Table case_table(const std::vector<CaseMetrics>& cases, const std::string& caption, const std::string& unit = "case");

// Overlays of up to `max_cases` predictions, preferring slices that hold tumour.
std::vector<Image> overlay_images(const std::vector<SlicePrediction>& preds, size_t max_cases);
// For each of up to `max_cases` slices with an edge head output: image, edge ground truth, edge prediction.
std::vector<Image> edge_images(const std::vector<SlicePrediction>& preds, size_t max_cases);

struct RunReportInput {
  std::string title;
  RunConfig config;
  std::string device;
  std::vector<EpochRecord> history;
  std::vector<SlicePrediction> held_out;  // predictions of the held-out slices
  std::vector<CaseMetrics> held_out_metrics;
  std::vector<CaseMetrics> held_out_patients;  // per_patient(held_out_metrics)
  std::string checkpoint = "last";
};

// Predicts and scores the held-out patients of `c` with `result`'s network and fills the rest
// of a report's input from the run.
RunReportInput held_out_report(const data::Dataset& ds, const RunConfig& c, const TrainResult& result);

// Writes RUN/report.html; `extra` is called to add sections (e.g. the classifier) at the end.
void write_run_report(const std::string& run_dir, const RunReportInput& in,
                      const std::function<void(Report&)>& extra = {});

}  // namespace fbd::app
