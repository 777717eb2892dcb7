// Patient-level k-fold: no patient on both sides, every patient tested exactly once,
// stratified by label, reproducible from the seed, saved and loaded as JSON.
#include <algorithm>
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
  std::vector<PatientLabel> two = {{"a", Label::Benign}, {"a", Label::Malignant}, {"b", Label::Benign}};
  CHECK(contains(error_of([&] { make_kfold(two, 2, 0); }), "patient 'a' has two labels"));
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
