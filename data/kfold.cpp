#include "data/kfold.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>

#include "core/error.h"
#include "core/file_io.h"
#include "data/random.h"

namespace fbd::data {

namespace {

using json = nlohmann::json;

// Fisher-Yates with Philox draws.
void shuffle(std::vector<std::string>& v, SampleRandom& r) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[size_t(r.integer(0, int64_t(i) - 1))]);
}

void check_folds(const KFold& kf, const std::string& where) {
  std::map<std::string, int> tested;
  for (const Fold& f : kf.folds) {
    std::set<std::string> train(f.train_patients.begin(), f.train_patients.end());
    for (const std::string& p : f.test_patients) {
      FBD_CHECK(!train.count(p), where, ": patient '", p, "' is in both the train and the test part of a fold");
      ++tested[p];
    }
  }
  for (const auto& [p, n] : tested) FBD_CHECK(n == 1, where, ": patient '", p, "' is tested in ", n, " folds");
  for (const Fold& f : kf.folds)
    for (const std::string& p : f.train_patients)
      FBD_CHECK(tested.count(p), where, ": patient '", p, "' is never in a test part");
}

}  // namespace

KFold make_kfold(const std::vector<PatientLabel>& patients, int k, uint64_t seed) {
  FBD_CHECK(k >= 2, "k-fold: k must be at least 2, got ", k);
  std::map<std::string, Label> label_of;
  for (const PatientLabel& p : patients) {
    auto [it, inserted] = label_of.emplace(p.patient, p.label);
    FBD_CHECK(inserted || it->second == p.label, "k-fold: patient '", p.patient, "' has two labels (",
              label_name(it->second), " and ", label_name(p.label), ")");
  }
  FBD_CHECK(int64_t(label_of.size()) >= k, "k-fold: ", label_of.size(), " patients cannot fill ", k,
            " folds (each fold needs at least one test patient)");
  KFold kf;
  kf.k = k;
  kf.seed = seed;
  std::map<Label, std::vector<std::string>> groups;  // sorted names per label: input order does not matter
  for (const auto& [p, l] : label_of) {
    groups[l].push_back(p);
    kf.stratified |= l != Label::Unknown;
  }
  std::vector<std::vector<std::string>> test(static_cast<size_t>(k));
  size_t next = 0;
  for (Label l : {Label::Benign, Label::Malignant, Label::Unknown}) {
    std::vector<std::string>& g = groups[l];
    SampleRandom r(seed, uint64_t(l), 0xF01Dull);
    shuffle(g, r);
    for (const std::string& p : g) test[next++ % size_t(k)].push_back(p);
  }
  for (int f = 0; f < k; ++f) {
    Fold fold;
    fold.test_patients = test[size_t(f)];
    std::sort(fold.test_patients.begin(), fold.test_patients.end());
    for (const auto& [p, l] : label_of)
      if (!std::binary_search(fold.test_patients.begin(), fold.test_patients.end(), p))
        fold.train_patients.push_back(p);
    kf.folds.push_back(std::move(fold));
  }
  check_folds(kf, "k-fold");
  return kf;
}

KFold make_kfold(const Dataset& ds, int k, uint64_t seed) {
  std::vector<PatientLabel> pl;
  for (const CaseEntry& c : ds.cases) pl.push_back({c.patient, c.label});
  KFold kf = make_kfold(pl, k, seed);
  for (Fold& f : kf.folds)
    for (const CaseEntry& c : ds.cases) {
      const bool is_test = std::binary_search(f.test_patients.begin(), f.test_patients.end(), c.patient);
      (is_test ? f.test_ids : f.train_ids).push_back(c.id);
    }
  return kf;
}

void save_kfold(const std::string& path, const KFold& kf) {
  json j;
  j["k"] = kf.k;
  j["seed"] = kf.seed;
  j["stratified"] = kf.stratified;
  j["folds"] = json::array();
  for (const Fold& f : kf.folds)
    j["folds"].push_back({{"test_patients", f.test_patients},
                          {"train_patients", f.train_patients},
                          {"test_ids", f.test_ids},
                          {"train_ids", f.train_ids}});
  const std::string text = j.dump(2) + "\n";
  write_file_atomic(path, [&](std::ostream& os) { os << text; });
}

KFold load_kfold(const std::string& path) {
  const std::vector<char> bytes = read_file(path);
  KFold kf;
  try {
    const json j = json::parse(bytes.begin(), bytes.end());
    kf.k = j.at("k").get<int>();
    kf.seed = j.at("seed").get<uint64_t>();
    kf.stratified = j.value("stratified", false);
    for (const json& f : j.at("folds")) {
      Fold fold;
      fold.test_patients = f.at("test_patients").get<std::vector<std::string>>();
      fold.train_patients = f.at("train_patients").get<std::vector<std::string>>();
      fold.test_ids = f.value("test_ids", std::vector<std::string>{});
      fold.train_ids = f.value("train_ids", std::vector<std::string>{});
      kf.folds.push_back(std::move(fold));
    }
  } catch (const json::exception& e) {
    FBD_FAIL(path, ": not a k-fold file (", e.what(), ")");
  }
  FBD_CHECK(int(kf.folds.size()) == kf.k, path, ": says k = ", kf.k, " but holds ", kf.folds.size(), " folds");
  check_folds(kf, path);
  return kf;
}

}  // namespace fbd::data
