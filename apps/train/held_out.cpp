#include "apps/train/held_out.h"

#include <chrono>

namespace fbd::app {

HeldOutScores mean_scores(const std::vector<CaseMetrics>& cm) {
  HeldOutScores s;
  s.dice = mean_metric(cm, Metric::Dice).mean;
  s.precision = mean_metric(cm, Metric::Precision).mean;
  s.sensitivity = mean_metric(cm, Metric::Sensitivity).mean;
  s.specificity = mean_metric(cm, Metric::Specificity).mean;
  s.miou = mean_metric(cm, Metric::MIoU).mean;
  s.hd95 = mean_metric(cm, Metric::HD95).mean;
  s.boundary_iou = mean_metric(cm, Metric::BoundaryIoU).mean;
  s.boundary_dice = mean_metric(cm, Metric::BoundaryDice).mean;
  return s;
}

ScoredRun train_and_score(const data::Dataset& ds, const RunConfig& c, const std::vector<data::Sample>& test_slices) {
  const auto t0 = std::chrono::steady_clock::now();
  TrainOptions to;
  to.progress = true;
  ScoredRun r;
  r.result = train_network(ds, c, to);
  const std::vector<SlicePrediction> preds = predict_slices(*r.result.net, test_slices, c, r.result.device);
  r.scores = mean_scores(evaluate_predictions(preds));
  EvalOptions quadrant;
  quadrant.fov = "quadrant";
  r.quadrant_scores = mean_scores(evaluate_predictions(preds, quadrant));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace fbd::app
