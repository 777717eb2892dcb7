// The benign / malignant classifier: standardisation from the training fold only, the MLP on
// separable and on XOR-like features, the baselines, patient-level stratified cross-validation
// and its error paths, and features of a real (tiny) phantom.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "apps/classify/classifier.h"
#include "apps/train/run_data.h"
#include "core/rng.h"
#include "data/phantom.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;
using namespace fbd::app;
using test::contains;
using test::error_of;

namespace {

// Deterministic uniform draws in [0, 1) (a small LCG: the test must not depend on the engine RNG).
struct Lcg {
  uint64_t s;
  double next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return double(s >> 11) / double(1ull << 53);
  }
};

// n patients, alternating benign / malignant; malignant ones have larger volume ratios, lower
// compactness and higher irregularity, each with noise of relative size `noise` around the
// class means (the classes overlap for noise well above 1).
std::vector<PatientRecord> synthetic(int n, double noise, uint64_t seed) {
  Lcg r{seed};
  std::vector<PatientRecord> out;
  for (int i = 0; i < n; ++i) {
    PatientRecord p;
    char name[16];
    std::snprintf(name, sizeof(name), "P%d", 100 + i);  // (GCC 12 warns falsely on "P" + std::to_string)
    p.patient = name;
    const bool mal = i % 2 == 1;
    p.label = mal ? data::Label::Malignant : data::Label::Benign;
    auto jitter = [&] { return noise * (r.next() - 0.5); };
    p.features.volume_ratio = (mal ? 0.03 : 0.01) * (1 + jitter());
    p.features.compactness = (mal ? 0.45 : 0.8) + 0.3 * jitter();
    p.features.solidity = (mal ? 0.7 : 0.95) + 0.2 * jitter();
    p.features.irregularity = (mal ? 0.3 : 0.08) + 0.2 * jitter();
    p.features.max_area_fraction = (mal ? 0.05 : 0.02) * (1 + jitter());
    p.features.intensity_mean = 1.5 + 0.2 * jitter();  // uninformative
    p.features.intensity_std = 0.3 + 0.1 * jitter();   // uninformative
    p.features.slices_with_tumour = 1.0;               // constant: standardised to 0
    out.push_back(p);
  }
  return out;
}

std::map<std::string, CvPrediction> by_patient(const CvResult& r) {
  std::map<std::string, CvPrediction> m;
  for (const CvPrediction& p : r.predictions) m[p.patient] = p;
  return m;
}

MlpOptions quick() {
  MlpOptions o;
  o.epochs = 200;
  o.hidden = 8;
  return o;
}

}  // namespace

TEST_CASE("standardisation: mean and population std of the rows it was fitted on, applied to new rows") {
  const std::vector<std::vector<double>> train = {{1, 10, 5}, {3, 30, 5}, {5, 20, 5}};
  const Standardizer s = Standardizer::fit(train);
  CHECK(s.mean[0] == doctest::Approx(3));
  CHECK(s.mean[1] == doctest::Approx(20));
  CHECK(s.std[0] == doctest::Approx(std::sqrt(8.0 / 3.0)));
  CHECK(s.std[1] == doctest::Approx(std::sqrt(200.0 / 3.0)));
  CHECK(s.std[2] == 1.0);  // constant feature
  // A test row far outside the training range is scaled by the training statistics only.
  const std::vector<double> z = s.apply({103, 20, 7});
  CHECK(z[0] == doctest::Approx(100 / std::sqrt(8.0 / 3.0)));
  CHECK(z[1] == doctest::Approx(0));
  CHECK(z[2] == doctest::Approx(2));
  // The training rows come out with mean 0 and std 1.
  double m = 0, v = 0;
  for (const auto& r : train) m += s.apply(r)[0];
  for (const auto& r : train) v += s.apply(r)[0] * s.apply(r)[0];
  CHECK(m / 3 == doctest::Approx(0).epsilon(1e-12));
  CHECK(v / 3 == doctest::Approx(1));
  CHECK(contains(error_of([&] { s.apply({1, 2}); }), "a row of 2 features, fitted on 3"));
  CHECK(contains(error_of([] { Standardizer::fit({}); }), "at least one row"));
}

TEST_CASE("cross-validation standardises and trains with the training fold only") {
  // Changing a test patient's features must not change any other prediction of its fold; a
  // training patient's must (else the check below could not fail).
  std::vector<PatientRecord> base = synthetic(12, 1.0, 7);
  const CvResult r0 = cross_validate(base, 3, quick());
  std::map<int, std::vector<std::string>> fold_members;
  for (const CvPrediction& p : r0.predictions) fold_members[p.fold].push_back(p.patient);
  REQUIRE(fold_members.size() == 3);
  const std::vector<std::string>& f1 = fold_members[1];
  REQUIRE(f1.size() >= 2);
  const std::string changed = f1[0];
  std::vector<PatientRecord> moved = base;
  for (PatientRecord& p : moved)
    if (p.patient == changed) {
      p.features.volume_ratio *= 50;  // an outlier would move the mean and std a lot
      p.features.irregularity += 10;
      p.features.intensity_mean -= 7;
    }
  const auto a = by_patient(r0), b = by_patient(cross_validate(moved, 3, quick()));
  for (const std::string& p : f1) {
    CHECK(a.at(p).fold == b.at(p).fold);
    if (p != changed) CHECK(a.at(p).p[0] == b.at(p).p[0]);
  }
  // Control: the same change to a patient tested in fold 2 (so training in fold 1) moves fold 1.
  std::vector<PatientRecord> moved_train = base;
  for (PatientRecord& p : moved_train)
    if (p.patient == fold_members[2][0]) p.features.volume_ratio *= 50, p.features.irregularity += 10;
  const auto c = by_patient(cross_validate(moved_train, 3, quick()));
  bool any_changed = false;
  for (const std::string& p : f1) any_changed |= a.at(p).p[0] != c.at(p).p[0];
  CHECK(any_changed);
}

TEST_CASE("stratified patient-level folds: every patient tested exactly once, classes spread over the folds") {
  std::vector<PatientRecord> pts = synthetic(13, 1.0, 3);
  pts.push_back({"U1", data::Label::Unknown, {}, 1, false, {}, {}});
  pts.push_back({"U2", data::Label::Unknown, {}, 1, false, {}, {}});
  for (int k : {2, 3, 4, 6}) {
    const CvResult r = cross_validate(pts, k, quick());
    CHECK(r.left_out == std::vector<std::string>{"U1", "U2"});
    REQUIRE(r.predictions.size() == 13);
    std::set<std::string> seen;
    std::map<int, int> size, malignant;
    for (const CvPrediction& p : r.predictions) {
      CHECK(seen.insert(p.patient).second);
      CHECK(p.fold >= 1);
      CHECK(p.fold <= k);
      ++size[p.fold];
      malignant[p.fold] += p.truth;
    }
    CHECK(int(size.size()) == k);
    int lo = 1 << 30, hi = 0, mlo = 1 << 30, mhi = 0;
    for (auto& [f, n] : size) lo = std::min(lo, n), hi = std::max(hi, n);
    for (int f = 1; f <= k; ++f) mlo = std::min(mlo, malignant[f]), mhi = std::max(mhi, malignant[f]);
    CHECK(hi - lo <= 1);
    CHECK(mhi - mlo <= 1);  // 6 malignant dealt round-robin
  }
}

TEST_CASE("on separable features the MLP is accurate, and beats the majority baseline") {
  const CvResult r = cross_validate(synthetic(30, 0.6, 11), 5, MlpOptions{});
  const ClassifierResult& mlp = r.classifier("mlp");
  CHECK(mlp.metrics.accuracy >= 0.9);
  CHECK(mlp.metrics.sensitivity >= 0.85);
  CHECK(mlp.metrics.specificity >= 0.85);
  CHECK(mlp.mean_final_loss < 0.5 * mlp.mean_first_loss);
  // Every training fold holds 12 benign + 12 malignant: the majority baseline (ties go to
  // malignant) calls everyone malignant.
  CHECK(r.majority.accuracy == doctest::Approx(0.5));
  CHECK(r.majority.sensitivity == 1.0);
  CHECK(r.majority.specificity == 0.0);
  CHECK(mlp.metrics.tp + mlp.metrics.fn == 15);
  CHECK(mlp.metrics.tn + mlp.metrics.fp == 15);
}

TEST_CASE("the MLP's cross-validated probabilities are pinned: the shared cross-validation did not change them") {
  // Overlapping classes (noise 3), so that the probabilities are not all near 0 or 1. Values
  // printed by the MLP's own cross-validation loop before the image classifiers shared it.
  struct Pin {
    const char* patient;
    int fold;
    double p;
  };
  const Pin pins[] = {
      {"P100", 1, 0.0008551543},
      {"P101", 1, 0.813687086},
      {"P102", 3, 5.94213702e-07},
      {"P103", 3, 0.999953985},
      {"P104", 3, 2.00752493e-05},
      {"P105", 2, 0.998292863},
      {"P106", 2, 0.000981958816},
      {"P107", 2, 0.927838564},
      {"P108", 1, 0.00324963429},
      {"P109", 1, 0.99840647},
      {"P110", 2, 0.461627841},
      {"P111", 3, 0.962093651},
  };
  const CvResult r = cross_validate(synthetic(12, 3.0, 7), 3, quick());
  REQUIRE(r.predictions.size() == 12);
  for (size_t i = 0; i < 12; ++i) {
    CAPTURE(pins[i].patient);
    CHECK(r.predictions[i].patient == pins[i].patient);
    CHECK(r.predictions[i].fold == pins[i].fold);
    CHECK(r.predictions[i].p[0] == doctest::Approx(pins[i].p).epsilon(1e-5));
  }
  const ClassifierResult& mlp = r.classifier("mlp");
  CHECK(mlp.metrics.accuracy == 1.0);
  CHECK(mlp.mean_first_loss == doctest::Approx(0.700115939).epsilon(1e-6));
  CHECK(mlp.mean_final_loss == doctest::Approx(0.00254260182).epsilon(1e-4));
  CHECK(mlp.parameters == 8 * 8 + 8 + 8 + 1);
}

namespace {

// A classifier that records what the cross-validation hands it and calls every test patient
// malignant with probability `p`.
class Recorder : public PatientClassifier {
 public:
  explicit Recorder(double p) : p_(p) {}
  std::string name() const override { return "recorder"; }
  FoldFit fit_predict(const FoldData& f) override {
    folds.push_back(f);
    return {std::vector<double>(f.test.size(), p_), 1.0, 0.5};
  }
  int64_t parameters() const override { return 3; }
  std::string detail() const override { return "recorded"; }
  std::vector<FoldData> folds;

 private:
  double p_;
};

}  // namespace

TEST_CASE("the shared cross-validation: every classifier sees the same folds, seeded per fold, scored alike") {
  const std::vector<PatientRecord> pts = synthetic(10, 1.0, 4);
  Recorder yes(0.9), no(0.1);
  const CvResult r = cross_validate(pts, 3, 5, {&yes, &no});
  REQUIRE(yes.folds.size() == 3);
  REQUIRE(no.folds.size() == 3);
  for (int f = 0; f < 3; ++f) {
    const FoldData& a = yes.folds[size_t(f)];
    CHECK(a.index == f);
    CHECK(a.seed == 5 * 1000003ull + uint64_t(f));
    CHECK(a.train == no.folds[size_t(f)].train);
    CHECK(a.test == no.folds[size_t(f)].test);
    CHECK(a.train.size() + a.test.size() == 10);
    for (const PatientRecord* t : a.test) CHECK(std::find(a.train.begin(), a.train.end(), t) == a.train.end());
    for (size_t i = 0; i < a.train.size(); ++i) CHECK(a.train_labels[i] == (a.train[i]->label == data::Label::Malignant));
  }
  // Names are the classifiers' own, so two of a kind need the index.
  REQUIRE(r.classifiers.size() == 2);
  CHECK(r.classifiers[0].metrics.sensitivity == 1.0);
  CHECK(r.classifiers[0].metrics.specificity == 0.0);
  CHECK(r.classifiers[1].metrics.sensitivity == 0.0);
  CHECK(r.classifiers[1].metrics.specificity == 1.0);
  CHECK(r.classifiers[0].mean_first_loss == 1.0);
  CHECK(r.classifiers[0].parameters == 3);
  CHECK(r.classifiers[0].detail == "recorded");
  for (const CvPrediction& p : r.predictions) {
    CHECK(p.p == std::vector<double>{0.9, 0.1});
    CHECK(p.pred == std::vector<int>{1, 0});
  }
  // The baselines are the MLP run's.
  const CvResult m = cross_validate(pts, 3, [] {
    MlpOptions o = quick();
    o.seed = 5;
    return o;
  }());
  CHECK(m.majority.accuracy == r.majority.accuracy);
  CHECK(m.volume.accuracy == r.volume.accuracy);
}

TEST_CASE("the MLP learns a non-linear rule that no threshold on one feature can") {
  // XOR of the signs of two features.
  Lcg r{5};
  std::vector<std::vector<double>> x;
  std::vector<int> y;
  for (int i = 0; i < 80; ++i) {
    const double a = 2 * r.next() - 1, b = 2 * r.next() - 1;
    if (std::fabs(a) < 0.1 || std::fabs(b) < 0.1) continue;
    x.push_back({a, b});
    y.push_back((a > 0) != (b > 0));
  }
  MlpOptions o;
  o.hidden = 16;
  o.epochs = 600;
  o.lr = 0.03;
  MlpClassifier mlp;
  mlp.fit(x, y, o);
  const std::vector<double> p = mlp.predict_proba(x);
  int correct = 0;
  for (size_t i = 0; i < p.size(); ++i) correct += (p[i] >= 0.5) == (y[i] == 1);
  CHECK(double(correct) / double(p.size()) >= 0.95);
  CHECK(mlp.final_loss() < 0.3);
  // The best single-feature threshold stays near chance.
  for (int f = 0; f < 2; ++f) {
    std::vector<double> v;
    for (const auto& row : x) v.push_back(row[size_t(f)]);
    const ThresholdRule rule = fit_threshold(v, y);
    int c = 0;
    for (size_t i = 0; i < v.size(); ++i) c += rule.predict(v[i]) == y[i];
    CHECK(double(c) / double(v.size()) < 0.75);
  }
}

TEST_CASE("binary metrics and the volume threshold baseline") {
  const BinaryMetrics m = binary_metrics({1, 1, 1, 0, 0}, {1, 0, 1, 0, 1});
  CHECK(m.tp == 2);
  CHECK(m.fn == 1);
  CHECK(m.tn == 1);
  CHECK(m.fp == 1);
  CHECK(m.accuracy == doctest::Approx(0.6));
  CHECK(m.sensitivity == doctest::Approx(2.0 / 3.0));
  CHECK(m.specificity == doctest::Approx(0.5));
  CHECK(std::isnan(binary_metrics({0, 0}, {0, 1}).sensitivity));
  // Larger is malignant: the midpoint between the classes.
  ThresholdRule t = fit_threshold({0.1, 0.2, 0.5, 0.7}, {0, 0, 1, 1});
  CHECK(t.direction == 1);
  CHECK(t.threshold == doctest::Approx(0.35));
  // Smaller is malignant: the direction flips.
  t = fit_threshold({0.1, 0.2, 0.5, 0.7}, {1, 1, 0, 0});
  CHECK(t.direction == -1);
  CHECK(t.predict(0.15) == 1);
  CHECK(t.predict(0.6) == 0);
}

TEST_CASE("classifier errors: too few labelled patients per class, fewer patients than folds, bad k") {
  std::vector<PatientRecord> pts = synthetic(6, 1.0, 1);  // 3 benign, 3 malignant
  CHECK(contains(error_of([&] { cross_validate(pts, 7, quick()); }), "6 labelled patients cannot fill 7 folds"));
  CHECK(contains(error_of([&] { cross_validate(pts, 1, quick()); }), "--folds must be at least 2, got 1"));
  std::vector<PatientRecord> one_benign;
  for (const PatientRecord& p : pts)
    if (p.label == data::Label::Malignant || p.patient == "P100") one_benign.push_back(p);
  const std::string e = error_of([&] { cross_validate(one_benign, 2, quick()); });
  CHECK(contains(e, "at least 2 labelled patients of each class, found 1 benign and 3 malignant"));
  std::vector<PatientRecord> unlabelled = pts;
  for (PatientRecord& p : unlabelled) p.label = data::Label::Unknown;
  CHECK(contains(error_of([&] { cross_validate(unlabelled, 2, quick()); }), "found 0 benign and 0 malignant"));
  MlpOptions bad = quick();
  bad.hidden = 0;
  CHECK(contains(error_of([&] { cross_validate(pts, 2, bad); }), "--hidden must be in [1, 4096], got 0"));
  MlpClassifier unfitted;
  CHECK(contains(error_of([&] { unfitted.predict_proba({{1.0}}); }), "predict before fit"));
}

TEST_CASE("patient features of a phantom's ground truth: labels, slices, volume ratios, who was trained on") {
  test::TempDir dir;
  data::PhantomOptions po;
  po.patients = 6;
  po.slices = 3;
  po.size = 64;
  po.threads = 1;
  data::write_phantom(dir.path().string(), po);
  const data::Dataset ds = open_dataset(dir.path().string());
  RunConfig c;
  c.train_patients = {ds.patients()[0]};
  const std::vector<PatientRecord> recs =
      patient_records(nullptr, ds, c, Device::cpu(), ds.patients(), /*use_truth=*/true, /*progress=*/false);
  REQUIRE(recs.size() == 6);
  int benign = 0;
  for (const PatientRecord& r : recs) {
    CHECK(r.label != data::Label::Unknown);
    benign += r.label == data::Label::Benign;
    CHECK(r.slices == 3);
    CHECK(r.in_training_split == (r.patient == ds.patients()[0]));
    CHECK(r.features.volume_ratio > 0.0);
    CHECK(r.features.volume_ratio < 0.2);
    CHECK(r.features.slices_with_tumour == 1.0);
  }
  CHECK(benign == 3);
  CHECK(contains(error_of([&] { patient_records(nullptr, ds, c, Device::cpu(), ds.patients(), false, false); }),
                 "no network to predict with"));
}

TEST_CASE("a hold-out split (a k-fold of one fold): test patients scored once, training patients only trained on") {
  const std::vector<PatientRecord> pts = synthetic(10, 1.0, 4);  // P100 (benign), P101 (malignant), ...
  data::KFold split;
  split.k = 1;
  data::Fold f;
  f.train_patients = {"P100", "P101", "P102", "P103", "P104", "P105"};
  f.test_patients = {"P106", "P107", "P108"};  // P109 is in neither part
  split.folds = {f};
  Recorder yes(0.9);
  const CvResult r = cross_validate(pts, 3, 5, {&yes}, &split);
  CHECK(r.k == 1);
  REQUIRE(yes.folds.size() == 1);
  CHECK(yes.folds[0].train.size() == 6);
  CHECK(yes.folds[0].test.size() == 3);
  REQUIRE(r.predictions.size() == 3);
  CHECK(r.predictions[0].patient == "P106");
  CHECK(r.predictions[2].patient == "P108");
  for (const CvPrediction& p : r.predictions) CHECK(p.fold == 1);
  CHECK(r.train_only == std::vector<std::string>{"P100", "P101", "P102", "P103", "P104", "P105"});
  // P106 and P108 are benign, P107 malignant: "always malignant" is right once in three.
  CHECK(r.classifiers[0].metrics.accuracy == doctest::Approx(1.0 / 3));
  CHECK(r.classifiers[0].metrics.sensitivity == 1.0);
  CHECK(r.classifiers[0].metrics.specificity == 0.0);
  // A training part of one class cannot train a classifier.
  split.folds[0].train_patients = {"P100", "P102", "P104"};
  CHECK(contains(error_of([&] { cross_validate(pts, 3, 5, {&yes}, &split); }),
                 "classify: the split's training patients must include both classes, found 3 benign and 0 malignant"));
}
