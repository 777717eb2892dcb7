// Patient-level k-fold cross-validation splits (the paper reports k = 3, 6 and 9).
//
// Patients, not slices, are dealt into folds, so no patient's slices are ever on both sides of
// a split. With labels, the patients of each label (benign, malignant, unknown) are shuffled
// separately and dealt round-robin, the deal continuing from fold to fold across labels, so
// every fold gets its share of each label and the fold sizes differ by at most one patient.
// Each patient is in the test part of exactly one fold. The shuffle is Philox keyed by the seed.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace fbd::data {

struct Fold {
  std::vector<std::string> train_patients, test_patients;  // sorted
  std::vector<std::string> train_ids, test_ids;            // case ids, in data set order
};

struct KFold {
  int k = 0;
  uint64_t seed = 0;
  bool stratified = false;  // true when some patient had a label
  std::vector<Fold> folds;
};

struct PatientLabel {
  std::string patient;
  Label label = Label::Unknown;
};

// Throws when k < 2 or there are fewer patients than folds, or a patient has two labels.
KFold make_kfold(const std::vector<PatientLabel>& patients, int k, uint64_t seed);
// Folds of a data set's patients (labels from its cases), with case ids filled in.
KFold make_kfold(const Dataset& ds, int k, uint64_t seed);

// JSON: {"k": 3, "seed": 1, "stratified": true, "folds": [{"test_patients": [...],
// "train_patients": [...], "test_ids": [...], "train_ids": [...]}, ...]}, written atomically.
void save_kfold(const std::string& path, const KFold& kf);
// Reads it back and checks it (every patient tested once, no patient on both sides).
KFold load_kfold(const std::string& path);

}  // namespace fbd::data
