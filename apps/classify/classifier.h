// Benign / malignant classification of patients (the paper's Table 4) under one
// cross-validation that every classifier shares (cross_validate): stratified patient-level
// k-fold (data/kfold.h), each patient tested exactly once, and in every fold the same two
// baselines beside the classifiers, so a reader can see whether a classifier adds anything:
//   majority          the training fold's majority class (a tie goes to malignant)
//   volume threshold  the volume ratio alone: the threshold (a midpoint between training
//                     values) and direction with the best training-fold accuracy
// Metrics are pooled over the test folds, malignant being the positive class: accuracy,
// sensitivity = TP / (TP + FN), specificity = TN / (TN + FP).
//
// A classifier is a PatientClassifier: given a fold's training patients (with labels) and its
// test patients, it returns P(malignant) for each test patient, predicting malignant at 1/2 or
// more. Two kinds implement it:
//   mlp   per-patient features of the predicted segmentation (apps/classify/patient_features.h:
//         the tumour-to-breast volume ratio the paper uses, shape and intensity features),
//         standardised with the statistics of the training fold only, and a small MLP on the
//         engine (Linear -> ReLU -> Linear, sigmoid; BCE with logits; Adam, full batch)
//   CNNs  the networks of apps/classify/classifier_registry.h on the tumour crops of each slice
//         (apps/classify/roi.h), slice probabilities averaged per patient
//         (apps/classify/cnn_classifier.h)
#pragma once
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "apps/classify/patient_features.h"
#include "apps/classify/roi.h"
#include "apps/nets/seg_net.h"
#include "apps/train/run_config.h"
#include "data/dataset.h"
#include "data/kfold.h"

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
  int64_t parameters() const { return net_ ? net_->num_parameters() : 0; }

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
  // With RoiOptions::crops: one tumour crop per slice with tumour, and the background crops of
  // the same slices (where one fits), at their own sizes, for the image classifiers.
  std::vector<data::Image> rois, backgrounds;
};

// One fold as a classifier sees it.
struct FoldData {
  int index = 0;      // 0-based
  uint64_t seed = 0;  // the fold's own seed: seed * 1000003 + index
  std::vector<const PatientRecord*> train, test;
  std::vector<int> train_labels;  // 1 malignant, 0 benign
};

// What a classifier returns for a fold.
struct FoldFit {
  std::vector<double> p;  // P(malignant) of each test patient, in FoldData::test order
  // Training loss at the start and at the end (the MLP: before the first and after the last step;
  // the CNNs: the means over the first and the last epoch).
  double first_loss = NAN, final_loss = NAN;
};

class PatientClassifier {
 public:
  virtual ~PatientClassifier() = default;
  virtual std::string name() const = 0;  // the registry name (apps/classify/classifier_registry.h)
  virtual FoldFit fit_predict(const FoldData& fold) = 0;
  virtual int64_t parameters() const = 0;  // trainable parameters of the model (of the last fold)
  virtual std::string detail() const { return ""; }  // e.g. how it was pretrained
};

// The MLP on standardised features as a PatientClassifier (the fold's seed initialises it).
class MlpPatientClassifier : public PatientClassifier {
 public:
  explicit MlpPatientClassifier(const MlpOptions& o);
  std::string name() const override { return "mlp"; }
  FoldFit fit_predict(const FoldData& fold) override;
  int64_t parameters() const override { return parameters_; }

 private:
  MlpOptions o_;
  int64_t parameters_ = 0;
};

struct CvPrediction {
  std::string patient;
  int truth = 0;  // 1 malignant
  int fold = 0;   // 1-based: the fold whose test part holds the patient
  int majority = 0, volume = 0;
  std::vector<double> p;  // P(malignant), one per classifier (CvResult::classifiers order)
  std::vector<int> pred;  // p >= 1/2, one per classifier
};

// One classifier's cross-validated result.
struct ClassifierResult {
  std::string name;
  BinaryMetrics metrics;
  double mean_first_loss = NAN, mean_final_loss = NAN;  // training loss over the folds
  int64_t parameters = 0;
  double seconds = 0;  // fitting and predicting, all folds
  std::string detail;
};

struct CvResult {
  int k = 0;                              // folds; 1 for a hold-out split
  std::vector<CvPrediction> predictions;  // the tested patients, in the order of the labelled patients given
  std::vector<ClassifierResult> classifiers;
  BinaryMetrics majority, volume;
  std::vector<std::string> left_out;    // patients without a label
  std::vector<std::string> train_only;  // a hold-out split: the labelled patients it only trained on
  // The result of the classifier named `name` (an error when it did not run).
  const ClassifierResult& classifier(const std::string& name) const;
  size_t index_of(const std::string& name) const;
};

// Checks that there are at least 2 labelled patients of each class and at least k of them,
// before any work (one-line errors).
void check_classifier_inputs(const std::vector<PatientRecord>& patients, int k);

// Stratified patient-level k-fold cross-validation (folds seeded by `seed`) of the classifiers,
// in order, and the baselines; unlabelled patients are left out and listed. With `folds` (a
// k-fold file's, checked against the data set) those folds are used instead, restricted to the
// labelled patients, each of whom must be tested exactly once (checked before any fitting).
// `folds` with k = 1 is a hold-out split (a split file's): its test patients are tested once,
// its training patients never (CvResult::train_only), patients in neither part are out of the
// run, and the training part must hold both classes.
CvResult cross_validate(const std::vector<PatientRecord>& patients, int k, uint64_t seed,
                        const std::vector<PatientClassifier*>& classifiers, const data::KFold* folds = nullptr);
// The MLP alone (folds seeded by o.seed).
CvResult cross_validate(const std::vector<PatientRecord>& patients, int k, const MlpOptions& o);

// The classifiers' inputs from a trained run: every slice of every listed patient predicted
// with `net` (quadrant division as the run was trained), thresholded at 1/2, the breast mask
// estimated by data/quadrants.h (the body in front of the chest wall); the features, and with
// roi.crops the crops (apps/classify/roi.h).
// With use_truth the ground-truth masks replace the predictions (an upper bound that separates
// segmentation errors from classification errors).
std::vector<PatientRecord> patient_records(SegNet* net, const data::Dataset& ds, const RunConfig& c, Device device,
                                           const std::vector<std::string>& patients, bool use_truth,
                                           bool progress = true, const RoiOptions& roi = {});

}  // namespace fbd::app
