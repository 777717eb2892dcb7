// Splits: patient-level k-fold (no patient on both sides, every patient tested exactly once,
// stratified by label, reproducible from the seed, saved and loaded as JSON), a held-out
// fraction, image-level folds, split files, and patients with both labels.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>

#include "data/kfold.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;
using namespace fbd::data;
using fbd::test::contains;
using fbd::test::error_of;

namespace {

// 30 patients labelled like the paper's Table 1 (cases 1-26 as listed there, case 27 malignant:
// 14 benign, 13 malignant) and 3 without a label.
std::vector<PatientLabel> paper_like() {
  const std::string types = "BMMBMMMBBMBBBMBMMMBMBBBBBM";
  std::vector<PatientLabel> p;
  for (size_t i = 0; i < types.size(); ++i)
    p.push_back({fbd::detail::concat("case", i + 1), types[i] == 'B' ? Label::Benign : Label::Malignant});
  p.push_back({"case27", Label::Malignant});
  for (int i = 28; i <= 30; ++i) p.push_back({fbd::detail::concat("case", i), Label::Unknown});
  return p;
}

void check_partition(const KFold& kf, const std::vector<PatientLabel>& patients) {
  std::set<std::string> all;
  for (const PatientLabel& p : patients) all.insert(p.patient);
  std::map<std::string, int> tested;
  for (const Fold& f : kf.folds) {
    std::set<std::string> train(f.train_patients.begin(), f.train_patients.end());
    std::set<std::string> test(f.test_patients.begin(), f.test_patients.end());
    for (const std::string& p : test) {
      CHECK_MESSAGE(!train.count(p), p << " leaks");
      ++tested[p];
    }
    CHECK(train.size() + test.size() == all.size());
  }
  CHECK(tested.size() == all.size());
  for (const auto& [p, n] : tested) CHECK(n == 1);
}

}  // namespace

TEST_CASE("k = 3, 6, 9 (the paper's) and others: a partition of the patients") {
  const auto patients = paper_like();
  for (int k : {2, 3, 5, 6, 9, 30}) {
    const KFold kf = make_kfold(patients, k, 11);
    CHECK(kf.k == k);
    CHECK(kf.stratified);
    REQUIRE(kf.folds.size() == size_t(k));
    check_partition(kf, patients);
    size_t lo = 1000, hi = 0;
    for (const Fold& f : kf.folds) {
      lo = std::min(lo, f.test_patients.size());
      hi = std::max(hi, f.test_patients.size());
    }
    CHECK(hi - lo <= 1);
  }
}

TEST_CASE("stratified: each fold gets its share of benign and malignant patients") {
  const auto patients = paper_like();
  std::map<std::string, Label> label;
  for (const auto& p : patients) label[p.patient] = p.label;
  const KFold kf = make_kfold(patients, 3, 5);
  for (const Fold& f : kf.folds) {
    int b = 0, m = 0;
    for (const std::string& p : f.test_patients) (label[p] == Label::Benign ? b : m) += label[p] != Label::Unknown;
    // 14 benign, 13 malignant over 3 folds: 4 or 5 of each per fold.
    CHECK(b >= 4);
    CHECK(b <= 5);
    CHECK(m >= 4);
    CHECK(m <= 5);
  }
}

TEST_CASE("reproducible from the seed; input order does not matter") {
  auto patients = paper_like();
  const KFold a = make_kfold(patients, 6, 1);
  std::reverse(patients.begin(), patients.end());
  const KFold b = make_kfold(patients, 6, 1);
  const KFold c = make_kfold(patients, 6, 2);
  bool differs = false;
  for (int f = 0; f < 6; ++f) {
    CHECK(a.folds[size_t(f)].test_patients == b.folds[size_t(f)].test_patients);
    differs |= a.folds[size_t(f)].test_patients != c.folds[size_t(f)].test_patients;
  }
  CHECK(differs);
}

TEST_CASE("folds of a data set list the slices of each side") {
  Dataset ds;
  for (int p = 0; p < 4; ++p)
    for (int s = 0; s < 3; ++s) {
      CaseEntry c;
      c.id = fbd::detail::concat("p", p, "s", s);
      c.patient = fbd::detail::concat("p", p);
      ds.cases.push_back(c);
    }
  const KFold kf = make_kfold(ds, 2, 3);
  CHECK_FALSE(kf.stratified);
  for (const Fold& f : kf.folds) {
    CHECK(f.test_ids.size() + f.train_ids.size() == 12);
    for (const std::string& id : f.test_ids) {
      const std::string patient = id.substr(0, 2);
      CHECK(std::find(f.test_patients.begin(), f.test_patients.end(), patient) != f.test_patients.end());
      CHECK(std::find(f.train_ids.begin(), f.train_ids.end(), id) == f.train_ids.end());
    }
  }
}

TEST_CASE("bad requests are errors") {
  const auto patients = paper_like();
  CHECK(contains(error_of([&] { make_kfold(patients, 1, 0); }), "k must be at least 2"));
  CHECK(contains(error_of([&] { make_kfold(patients, 31, 0); }), "30 patients cannot fill 31 folds"));
}

TEST_CASE("a patient with both labels stays whole on one side of every split, as a stratum of its own") {
  auto patients = paper_like();
  // case1 is benign; give it a malignant slice too (a bilateral patient), and an unknown one.
  patients.push_back({"case1", Label::Malignant});
  patients.push_back({"case1", Label::Unknown});
  patients.push_back({"case2", Label::Malignant});  // the same label again: not mixed
  for (int k : {2, 3, 9}) {
    const KFold kf = make_kfold(patients, k, 3);
    check_partition(kf, patients);
    CHECK(kf.stratified);
  }
  const Fold h = make_holdout(patients, 0.5, 3);
  CHECK(h.train_patients.size() + h.test_patients.size() == 30);
  const bool in_test = std::binary_search(h.test_patients.begin(), h.test_patients.end(), "case1");
  const bool in_train = std::binary_search(h.train_patients.begin(), h.train_patients.end(), "case1");
  CHECK(in_test != in_train);
  // A patient whose only other slices are unlabelled takes its known label: one benign patient
  // among unknowns is still stratified.
  const KFold u = make_kfold({{"a", Label::Unknown}, {"a", Label::Benign}, {"b", Label::Unknown}}, 2, 0);
  CHECK(u.stratified);
}

TEST_CASE("a held-out fraction: honoured to the nearest patient, stratified, the k-fold's first fold for 1/k") {
  const auto patients = paper_like();  // 30 patients
  for (double f : {0.1, 0.3, 0.5, 2.0 / 3.0, 0.67, 0.9}) {
    const Fold h = make_holdout(patients, f, 7);
    CHECK_MESSAGE(long(h.test_patients.size()) == std::lround(30 * f), "fraction " << f);
    CHECK(h.train_patients.size() + h.test_patients.size() == 30);
    for (const std::string& p : h.test_patients)
      CHECK_FALSE(std::binary_search(h.train_patients.begin(), h.train_patients.end(), p));
  }
  // The paper's 10 training and 20 test patients: 9 or 10 of the 14 benign, 8 or 9 of the 13
  // malignant, 2 of the 3 unlabelled.
  std::map<std::string, Label> label;
  for (const auto& p : patients) label[p.patient] = p.label;
  const Fold paper = make_holdout(patients, 2.0 / 3.0, 1);
  std::map<Label, int> n;
  for (const std::string& p : paper.test_patients) ++n[label[p]];
  CHECK(n[Label::Benign] >= 9);
  CHECK(n[Label::Benign] <= 10);
  CHECK(n[Label::Malignant] >= 8);
  CHECK(n[Label::Malignant] <= 9);
  CHECK(n[Label::Unknown] == 2);
  for (int k : {2, 3, 5, 6})
    CHECK(make_holdout(patients, 1.0 / k, 4).test_patients == make_kfold(patients, k, 4).folds[0].test_patients);
  CHECK(contains(error_of([&] { make_holdout(patients, 0.01, 0); }), "holds out 0"));
  CHECK(contains(error_of([&] { make_holdout(patients, 0.99, 0); }), "holds out 30"));
  CHECK(contains(error_of([&] { make_holdout(patients, 1.0, 0); }), "must be in (0, 1)"));
}

namespace {

Dataset tiny_dataset(int patients, int slices) {
  Dataset ds;
  for (int p = 0; p < patients; ++p)
    for (int s = 0; s < slices; ++s) {
      CaseEntry c;
      c.id = fbd::detail::concat("p", p, "s", s);
      c.patient = fbd::detail::concat("p", p);
      c.label = p % 2 ? Label::Malignant : Label::Benign;
      ds.cases.push_back(c);
    }
  return ds;
}

}  // namespace

TEST_CASE("image-level folds: every slice tested once, a patient's slices on both sides") {
  const Dataset ds = tiny_dataset(4, 6);
  const KFold kf = make_image_kfold(ds, 3, 2);
  std::map<std::string, int> tested;
  bool straddles = false;
  for (const Fold& f : kf.folds) {
    CHECK(f.test_ids.size() == 8);
    CHECK(f.test_ids.size() + f.train_ids.size() == 24);
    for (const std::string& id : f.test_ids) ++tested[id];
    for (const std::string& p : f.test_patients)
      straddles |= std::binary_search(f.train_patients.begin(), f.train_patients.end(), p);
  }
  CHECK(tested.size() == 24);
  for (const auto& [id, n] : tested) CHECK(n == 1);
  CHECK(straddles);
  CHECK(contains(error_of([&] { make_image_kfold(tiny_dataset(1, 2), 3, 0); }), "2 images cannot fill 3 folds"));
}

TEST_CASE("split files: round trip, unknown and doubled patients are one-line errors") {
  test::TempDir dir;
  const Dataset ds = tiny_dataset(5, 2);
  Fold f;
  f.train_patients = {"p3", "p0"};
  f.test_patients = {"p1", "p4"};
  save_split(dir.file("split.json"), f);
  const Fold back = load_split(dir.file("split.json"), ds);
  CHECK(back.train_patients == std::vector<std::string>{"p0", "p3"});
  CHECK(back.test_patients == std::vector<std::string>{"p1", "p4"});
  // p2 is in neither part: left out of the run.
  CHECK(back.train_ids == std::vector<std::string>{"p0s0", "p0s1", "p3s0", "p3s1"});
  CHECK(back.test_ids == std::vector<std::string>{"p1s0", "p1s1", "p4s0", "p4s1"});
  auto error_with = [&](const std::string& text) {
    std::ofstream(dir.file("s.json")) << text;
    return error_of([&] { load_split(dir.file("s.json"), ds); });
  };
  CHECK(contains(error_with(R"({"train_patients": ["p0"], "test_patients": ["p9"]})"),
                 "s.json: test patient 'p9' is not in the data set"));
  CHECK(contains(error_with(R"({"train_patients": ["p0", "p0"], "test_patients": ["p1"]})"),
                 "training patient 'p0' is listed twice"));
  CHECK(contains(error_with(R"({"train_patients": ["p0", "p1"], "test_patients": ["p1"]})"),
                 "patient 'p1' is both a training and a test patient"));
  CHECK(contains(error_with(R"({"train_patients": [], "test_patients": ["p1"]})"), "no training patients"));
  CHECK(contains(error_with(R"({"train": ["p0"]})"), "s.json: not a split file"));
  KFold kf = make_kfold(ds, 2, 1);
  kf.folds[0].test_patients.push_back("p7");
  CHECK(contains(error_of([&] { check_kfold_patients(kf, ds, "folds.json"); }),
                 "folds.json: test patient 'p7' is not in the data set"));
}

TEST_CASE("saved to JSON and loaded back; a tampered file is refused") {
  test::TempDir dir;
  const KFold kf = make_kfold(paper_like(), 3, 9);
  save_kfold(dir.file("folds.json"), kf);
  const KFold back = load_kfold(dir.file("folds.json"));
  CHECK(back.k == 3);
  CHECK(back.seed == 9);
  for (int f = 0; f < 3; ++f) {
    CHECK(back.folds[size_t(f)].test_patients == kf.folds[size_t(f)].test_patients);
    CHECK(back.folds[size_t(f)].train_patients == kf.folds[size_t(f)].train_patients);
  }
  std::ofstream(dir.file("leak.json"))
      << R"({"k": 2, "seed": 0, "folds": [{"test_patients": ["a"], "train_patients": ["a", "b"]},
                                        {"test_patients": ["b"], "train_patients": ["a"]}]})";
  CHECK(contains(error_of([&] { load_kfold(dir.file("leak.json")); }),
                 "leak.json: patient 'a' is in both the train and the test part"));
  std::ofstream(dir.file("bad.json")) << R"({"k": 2})";
  CHECK(contains(error_of([&] { load_kfold(dir.file("bad.json")); }), "bad.json: not a k-fold file"));
}
