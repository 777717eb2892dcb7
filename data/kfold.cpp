#include "data/kfold.h"

#include <algorithm>
#include <cstdio>
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

namespace {

// A patient's stratum: its label, or Mixed when its cases carry both benign and malignant.
constexpr int kMixed = 3;

struct Strata {
  std::map<std::string, int> stratum_of;  // patient -> Label value or kMixed
  bool stratified = false;                // some patient had a label
  std::vector<std::string> mixed;         // patients with both labels
};

// Unknown slices do not make a patient mixed: a patient's label is its known one.
Strata strata_of(const std::vector<PatientLabel>& patients) {
  Strata st;
  for (const PatientLabel& p : patients) {
    auto [it, inserted] = st.stratum_of.emplace(p.patient, int(p.label));
    if (inserted || p.label == Label::Unknown || it->second == int(p.label)) continue;
    if (it->second == int(Label::Unknown)) {
      it->second = int(p.label);
    } else if (it->second != kMixed) {
      it->second = kMixed;
      st.mixed.push_back(p.patient);
    }
  }
  for (const auto& [p, s] : st.stratum_of) st.stratified |= s != int(Label::Unknown);
  std::sort(st.mixed.begin(), st.mixed.end());
  return st;
}

void warn_mixed(const Strata& st) {
  if (st.mixed.empty()) return;
  std::string names;
  for (const std::string& p : st.mixed) names += (names.empty() ? "" : ", ") + p;
  std::fprintf(stderr,
               "fbd: warning: %zu patient(s) with both benign and malignant slices (%s): each is kept whole on one "
               "side of every split and stratified as a group of its own\n",
               st.mixed.size(), names.c_str());
}

// The patients in dealing order: each stratum (benign, malignant, unknown, mixed) shuffled by
// Philox keyed by (seed, stratum) from its sorted names, the strata one after the other. Dealing
// this sequence round-robin spreads every stratum evenly.
std::vector<std::string> dealing_order(const Strata& st, uint64_t seed) {
  std::map<int, std::vector<std::string>> groups;  // sorted names per stratum
  for (const auto& [p, s] : st.stratum_of) groups[s].push_back(p);
  std::vector<std::string> order;
  for (int s : {int(Label::Benign), int(Label::Malignant), int(Label::Unknown), kMixed}) {
    std::vector<std::string>& g = groups[s];
    SampleRandom r(seed, uint64_t(s), 0xF01Dull);
    shuffle(g, r);
    order.insert(order.end(), g.begin(), g.end());
  }
  return order;
}

// The fold whose test part is `test`; every other patient of `st` trains.
Fold fold_of(std::vector<std::string> test, const Strata& st) {
  Fold fold;
  fold.test_patients = std::move(test);
  std::sort(fold.test_patients.begin(), fold.test_patients.end());
  for (const auto& [p, s] : st.stratum_of)
    if (!std::binary_search(fold.test_patients.begin(), fold.test_patients.end(), p)) fold.train_patients.push_back(p);
  return fold;
}

// The case ids of the fold's (sorted) training and test patients, in data set order; cases of
// patients on neither side (left out by a split file) are in neither list.
void fill_ids(Fold& f, const Dataset& ds) {
  f.train_ids.clear();
  f.test_ids.clear();
  for (const CaseEntry& c : ds.cases) {
    if (std::binary_search(f.test_patients.begin(), f.test_patients.end(), c.patient)) f.test_ids.push_back(c.id);
    if (std::binary_search(f.train_patients.begin(), f.train_patients.end(), c.patient)) f.train_ids.push_back(c.id);
  }
}

std::vector<PatientLabel> patient_labels(const Dataset& ds) {
  std::vector<PatientLabel> pl;
  for (const CaseEntry& c : ds.cases) pl.push_back({c.patient, c.label});
  return pl;
}

}  // namespace

KFold make_kfold(const std::vector<PatientLabel>& patients, int k, uint64_t seed) {
  FBD_CHECK(k >= 2, "k-fold: k must be at least 2, got ", k);
  const Strata st = strata_of(patients);
  FBD_CHECK(int64_t(st.stratum_of.size()) >= k, "k-fold: ", st.stratum_of.size(), " patients cannot fill ", k,
            " folds (each fold needs at least one test patient)");
  warn_mixed(st);
  KFold kf;
  kf.k = k;
  kf.seed = seed;
  kf.stratified = st.stratified;
  std::vector<std::vector<std::string>> test(static_cast<size_t>(k));
  size_t next = 0;
  for (const std::string& p : dealing_order(st, seed)) test[next++ % size_t(k)].push_back(p);
  for (int f = 0; f < k; ++f) kf.folds.push_back(fold_of(test[size_t(f)], st));
  check_folds(kf, "k-fold");
  return kf;
}

Fold make_holdout(const std::vector<PatientLabel>& patients, double test_fraction, uint64_t seed) {
  FBD_CHECK(test_fraction > 0 && test_fraction < 1, "test fraction must be in (0, 1), got ", test_fraction);
  const Strata st = strata_of(patients);
  const size_t n = st.stratum_of.size();
  const long n_test = std::lround(test_fraction * double(n));
  FBD_CHECK(n_test >= 1 && n_test < long(n), "a test fraction of ", test_fraction, " of ", n, " patients holds out ",
            n_test, " (needs at least 1 test and 1 training patient)");
  warn_mixed(st);
  // Evenly spaced positions of the dealing order: every stratum in proportion, and for a
  // fraction 1/k with n a multiple of k exactly the test part of the k-fold's first fold.
  const std::vector<std::string> order = dealing_order(st, seed);
  std::vector<std::string> test;
  for (long j = 0; j < n_test; ++j) test.push_back(order[size_t(j) * n / size_t(n_test)]);
  return fold_of(std::move(test), st);
}

Fold make_holdout(const Dataset& ds, double test_fraction, uint64_t seed) {
  Fold f = make_holdout(patient_labels(ds), test_fraction, seed);
  fill_ids(f, ds);
  return f;
}

KFold make_kfold(const Dataset& ds, int k, uint64_t seed) {
  KFold kf = make_kfold(patient_labels(ds), k, seed);
  for (Fold& f : kf.folds) fill_ids(f, ds);
  return kf;
}

KFold make_image_kfold(const Dataset& ds, int k, uint64_t seed) {
  FBD_CHECK(k >= 2, "k-fold: k must be at least 2, got ", k);
  FBD_CHECK(ds.cases.size() >= size_t(k), "k-fold: ", ds.cases.size(), " images cannot fill ", k, " folds");
  KFold kf;
  kf.k = k;
  kf.seed = seed;
  std::map<int, std::vector<std::string>> groups;  // case ids per label, data set order
  std::map<std::string, std::string> patient_of;
  for (const CaseEntry& c : ds.cases) {
    groups[int(c.label)].push_back(c.id);
    patient_of[c.id] = c.patient;
    kf.stratified |= c.label != Label::Unknown;
  }
  std::vector<std::set<std::string>> test(static_cast<size_t>(k));
  size_t next = 0;
  for (int l : {int(Label::Benign), int(Label::Malignant), int(Label::Unknown)}) {
    std::vector<std::string>& g = groups[l];
    SampleRandom r(seed, uint64_t(l), 0x1A6Eull);
    shuffle(g, r);
    for (const std::string& id : g) test[next++ % size_t(k)].insert(id);
  }
  for (int f = 0; f < k; ++f) {
    Fold fold;
    std::set<std::string> train_p, test_p;
    for (const CaseEntry& c : ds.cases) {
      const bool is_test = test[size_t(f)].count(c.id) > 0;
      (is_test ? fold.test_ids : fold.train_ids).push_back(c.id);
      (is_test ? test_p : train_p).insert(c.patient);
    }
    fold.train_patients.assign(train_p.begin(), train_p.end());
    fold.test_patients.assign(test_p.begin(), test_p.end());
    kf.folds.push_back(std::move(fold));
  }
  return kf;
}

void save_split(const std::string& path, const Fold& f) {
  const json j = {{"train_patients", f.train_patients}, {"test_patients", f.test_patients}};
  const std::string text = j.dump(2) + "\n";
  write_file_atomic(path, [&](std::ostream& os) { os << text; });
}

namespace {

// Every patient of `names` is in the data set and listed once.
void check_known(const std::vector<std::string>& names, const std::set<std::string>& known, const std::string& where,
                 const char* part) {
  std::set<std::string> seen;
  for (const std::string& p : names) {
    FBD_CHECK(known.count(p), where, ": ", part, " patient '", p, "' is not in the data set");
    FBD_CHECK(seen.insert(p).second, where, ": ", part, " patient '", p, "' is listed twice");
  }
}

}  // namespace

Fold load_split(const std::string& path, const Dataset& ds) {
  const std::vector<char> bytes = read_file(path);
  Fold f;
  try {
    const json j = json::parse(bytes.begin(), bytes.end());
    f.train_patients = j.at("train_patients").get<std::vector<std::string>>();
    f.test_patients = j.at("test_patients").get<std::vector<std::string>>();
  } catch (const json::exception& e) {
    FBD_FAIL(path, ": not a split file (expected {\"train_patients\": [...], \"test_patients\": [...]}: ", e.what(),
             ")");
  }
  FBD_CHECK(!f.train_patients.empty(), path, ": no training patients");
  FBD_CHECK(!f.test_patients.empty(), path, ": no test patients");
  const std::vector<std::string> all = ds.patients();
  const std::set<std::string> known(all.begin(), all.end());
  check_known(f.train_patients, known, path, "training");
  check_known(f.test_patients, known, path, "test");
  std::sort(f.train_patients.begin(), f.train_patients.end());
  std::sort(f.test_patients.begin(), f.test_patients.end());
  for (const std::string& p : f.test_patients)
    FBD_CHECK(!std::binary_search(f.train_patients.begin(), f.train_patients.end(), p), path, ": patient '", p,
              "' is both a training and a test patient");
  fill_ids(f, ds);
  return f;
}

void check_kfold_patients(KFold& kf, const Dataset& ds, const std::string& source) {
  const std::vector<std::string> all = ds.patients();
  const std::set<std::string> known(all.begin(), all.end());
  for (Fold& f : kf.folds) {
    check_known(f.train_patients, known, source, "training");
    check_known(f.test_patients, known, source, "test");
    std::sort(f.train_patients.begin(), f.train_patients.end());
    std::sort(f.test_patients.begin(), f.test_patients.end());
    fill_ids(f, ds);
  }
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
