// Train/test splits: patient-level k-fold cross-validation (the paper reports k = 3, 6 and 9),
// a single held-out fraction of the patients, image-level k-fold (the paper's own unit: "270
// randomly ranked MRI scans"), and split files a user writes by hand (the paper's 10 training
// and 20 test patients).
//
// Patients, not slices, are dealt into folds, so no patient's slices are ever on both sides of
// a split. With labels, the patients of each stratum (benign, malignant, unknown, and "mixed":
// a patient whose slices carry both labels, e.g. bilateral lesions) are shuffled separately and
// dealt round-robin, the deal continuing from fold to fold across strata, so every fold gets
// its share of each and the fold sizes differ by at most one patient. A mixed patient stays
// whole on one side of every split; a warning names it. Each patient is in the test part of
// exactly one fold. The shuffle is Philox keyed by the seed.
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

// Throws when k < 2 or there are fewer patients than folds.
KFold make_kfold(const std::vector<PatientLabel>& patients, int k, uint64_t seed);
// Folds of a data set's patients (labels from its cases), with case ids filled in.
KFold make_kfold(const Dataset& ds, int k, uint64_t seed);

// One train/test split holding out round(test_fraction * patients) patients, stratified as the
// k-fold (evenly spaced positions of the same dealing order, so a fraction of 1/k on a multiple
// of k patients holds out exactly the k-fold's first test fold). A one-line error when the
// fraction is outside (0, 1) or rounds to no test or no training patient.
Fold make_holdout(const std::vector<PatientLabel>& patients, double test_fraction, uint64_t seed);
Fold make_holdout(const Dataset& ds, double test_fraction, uint64_t seed);

// Image-level k-fold: the cases (slices), not the patients, are shuffled per label and dealt,
// so one patient's slices fall on both sides of a fold (the paper's protocol; optimistic, since
// neighbouring slices of one tumour are nearly alike). Folds list the patients present on each
// side, which overlap.
KFold make_image_kfold(const Dataset& ds, int k, uint64_t seed);

// Split file, JSON: {"train_patients": [...], "test_patients": [...]} (other keys are kept for
// the reader: a "comment", the ids). Read and checked against the data set: both parts
// non-empty, no patient twice or on both sides, every patient in the data set (one-line
// errors naming the file and the patient); patients of the data set in neither part are left
// out of the run.
void save_split(const std::string& path, const Fold& f);
Fold load_split(const std::string& path, const Dataset& ds);
// Checks a k-fold file's patients against the data set (every one known) and fills the ids.
void check_kfold_patients(KFold& kf, const Dataset& ds, const std::string& source);

// JSON: {"k": 3, "seed": 1, "stratified": true, "folds": [{"test_patients": [...],
// "train_patients": [...], "test_ids": [...], "train_ids": [...]}, ...]}, written atomically.
void save_kfold(const std::string& path, const KFold& kf);
// Reads it back and checks it (every patient tested once, no patient on both sides).
KFold load_kfold(const std::string& path);

}  // namespace fbd::data
