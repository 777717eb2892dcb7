// The benign / malignant classifier of the paper's Table 4: per-patient features of the
// predicted segmentation (apps/classify/patient_features.h: the tumour-to-breast volume ratio the paper uses,
// shape and intensity features), standardised with the statistics of the training fold only,
// and a small MLP on the engine (Linear -> ReLU -> Linear, sigmoid; BCE with logits; Adam,
// full batch), evaluated by patient-level stratified k-fold cross-validation (data/kfold.h).
//
// Two baselines run on the same folds so a reader can see whether the MLP adds anything:
//   majority          the training fold's majority class (a tie goes to malignant)
//   volume threshold  the volume ratio alone: the threshold (a midpoint between training
//                     values) and direction with the best training-fold accuracy
// Metrics are pooled over the test folds (each patient is tested exactly once), malignant being
// the positive class: accuracy, sensitivity = TP / (TP + FN), specificity = TN / (TN + FP).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "apps/classify/patient_features.h"
#include "apps/nets/seg_net.h"
#include "apps/train/run_config.h"
#include "data/dataset.h"

namespace fbd::app {

// z-scores per feature: (x - mean) / std with the population std of the rows it was fitted on
// (a constant feature gets std 1, so it becomes 0).
struct Standardizer {
  std::vector<double> mean, std;
  static Standardizer fit(const std::vector<std::vector<double>>& rows);
  std::vector<double> apply(const std::vector<double>& row) const;
};

struct MlpOptions {
  int hidden = 16;
  int epochs = 300;  // full-batch Adam steps
  double lr = 0.01;
  double weight_decay = 1e-3;  // L2, added to the gradient (Adam)
  uint64_t seed = 1;
};
void check_mlp_options(const MlpOptions& o);

// A trained MLP; inputs are standardised feature rows.
class MlpClassifier {
 public:
  // labels: 1 malignant, 0 benign; at least one row.
  void fit(const std::vector<std::vector<double>>& x, const std::vector<int>& labels, const MlpOptions& o);
  std::vector<double> predict_proba(const std::vector<std::vector<double>>& x) const;
  double final_loss() const { return final_loss_; }  // training BCE after the last step
  double first_loss() const { return first_loss_; }  // before the first step

 private:
  std::shared_ptr<nn::Module> net_;
  int64_t inputs_ = 0;
  double first_loss_ = 0, final_loss_ = 0;
};

struct BinaryMetrics {
  int64_t tp = 0, fp = 0, tn = 0, fn = 0;
  double accuracy = 0, sensitivity = 0, specificity = 0;  // NaN where the denominator is 0
};
// truth and pred: 1 malignant (positive), 0 benign.
BinaryMetrics binary_metrics(const std::vector<int>& truth, const std::vector<int>& pred);

// Volume-ratio baseline: predicts malignant when direction * (v - threshold) >= 0.
struct ThresholdRule {
  double threshold = 0;
  int direction = 1;  // +1: larger ratios are malignant; -1: smaller ones
  int predict(double v) const { return direction * (v - threshold) >= 0 ? 1 : 0; }
};
ThresholdRule fit_threshold(const std::vector<double>& values, const std::vector<int>& labels);

struct PatientRecord {
  std::string patient;
  data::Label label = data::Label::Unknown;
  PatientFeatures features;
  int slices = 0;
  bool in_training_split = false;  // the segmentation network was trained on this patient
};

struct CvPrediction {
  std::string patient;
  int truth = 0;  // 1 malignant
  int fold = 0;   // 1-based: the fold whose test part holds the patient
  double p_mlp = 0;
  int mlp = 0, majority = 0, volume = 0;
};

struct CvResult {
  int k = 0;
  std::vector<CvPrediction> predictions;  // in the order of the labelled patients given
  BinaryMetrics mlp, majority, volume;
  std::vector<std::string> left_out;                // patients without a label
  double mean_first_loss = 0, mean_final_loss = 0;  // MLP training BCE over the folds
};

// Checks that there are at least 2 labelled patients of each class and at least k of them,
// before any work (one-line errors).
void check_classifier_inputs(const std::vector<PatientRecord>& patients, int k);

// Stratified patient-level k-fold cross-validation of the MLP and the baselines (unlabelled
// patients are left out and listed).
CvResult cross_validate(const std::vector<PatientRecord>& patients, int k, const MlpOptions& o);

// The classifier's inputs from a trained run: every slice of every listed patient predicted
// with `net` (quadrant division as the run was trained), thresholded at 1/2, the breast (body)
// mask from data/quadrants.h. With use_truth the ground-truth masks replace the predictions (an
// upper bound that separates segmentation errors from classification errors).
std::vector<PatientRecord> patient_records(SegNet* net, const data::Dataset& ds, const RunConfig& c, Device device,
                                           const std::vector<std::string>& patients, bool use_truth,
                                           bool progress = true);

}  // namespace fbd::app
