#include "apps/classify/classifier.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include "apps/train/evaluate.h"
#include "apps/train/progress.h"
#include "apps/train/run_data.h"
#include "core/autograd.h"
#include "data/kfold.h"
#include "data/quadrants.h"
#include "data/random.h"
#include "layers/layers.h"
#include "losses/losses.h"
#include "optim/optim.h"

namespace fbd::app {

// ---- standardisation -----------------------------------------------------------------------

Standardizer Standardizer::fit(const std::vector<std::vector<double>>& rows) {
  FBD_CHECK(!rows.empty(), "standardisation needs at least one row");
  const size_t f = rows[0].size();
  Standardizer s;
  s.mean.assign(f, 0.0);
  s.std.assign(f, 0.0);
  for (const auto& r : rows) {
    FBD_CHECK(r.size() == f, "standardisation: rows of ", f, " and ", r.size(), " features");
    for (size_t j = 0; j < f; ++j) s.mean[j] += r[j];
  }
  for (double& m : s.mean) m /= double(rows.size());
  for (const auto& r : rows)
    for (size_t j = 0; j < f; ++j) s.std[j] += (r[j] - s.mean[j]) * (r[j] - s.mean[j]);
  for (size_t j = 0; j < f; ++j) {
    s.std[j] = std::sqrt(s.std[j] / double(rows.size()));
    // A feature constant over the training rows carries no information: centred to 0.
    if (!(s.std[j] > 1e-12 * std::max(1.0, std::fabs(s.mean[j])))) s.std[j] = 1.0;
  }
  return s;
}

std::vector<double> Standardizer::apply(const std::vector<double>& row) const {
  FBD_CHECK(row.size() == mean.size(), "standardisation: a row of ", row.size(), " features, fitted on ", mean.size());
  std::vector<double> out(row.size());
  for (size_t j = 0; j < row.size(); ++j) out[j] = (row[j] - mean[j]) / std[j];
  return out;
}

// ---- the MLP -------------------------------------------------------------------------------

void check_mlp_options(const MlpOptions& o) {
  FBD_CHECK(o.hidden >= 1 && o.hidden <= 4096, "classifier: --hidden must be in [1, 4096], got ", o.hidden);
  FBD_CHECK(o.epochs >= 1 && o.epochs <= 1000000, "classifier: --epochs must be in [1, 1000000], got ", o.epochs);
  FBD_CHECK(o.lr > 0 && std::isfinite(o.lr), "classifier: the learning rate must be positive, got ", o.lr);
  FBD_CHECK(o.weight_decay >= 0 && std::isfinite(o.weight_decay), "classifier: weight decay must be >= 0, got ",
            o.weight_decay);
}

namespace {

Tensor to_tensor(const std::vector<std::vector<double>>& x, int64_t cols) {
  std::vector<float> v;
  v.reserve(x.size() * static_cast<size_t>(cols));
  for (const auto& r : x) {
    FBD_CHECK(int64_t(r.size()) == cols, "classifier: a row of ", r.size(), " features, expected ", cols);
    for (double d : r) v.push_back(float(d));
  }
  return Tensor::from_vector(v, {int64_t(x.size()), cols});
}

}  // namespace

void MlpClassifier::fit(const std::vector<std::vector<double>>& x, const std::vector<int>& labels,
                        const MlpOptions& o) {
  check_mlp_options(o);
  FBD_CHECK(!x.empty() && x.size() == labels.size(), "classifier: ", x.size(), " rows and ", labels.size(), " labels");
  inputs_ = int64_t(x[0].size());
  FBD_CHECK(inputs_ >= 1, "classifier: rows without features");
  Generator gen(o.seed);
  auto seq = std::make_shared<nn::Sequential>();
  seq->add(std::make_shared<nn::Linear>(inputs_, o.hidden, true, gen));
  seq->add(std::make_shared<nn::ReLU>());
  seq->add(std::make_shared<nn::Linear>(o.hidden, 1, true, gen));
  net_ = seq;
  const Tensor xt = to_tensor(x, inputs_);
  std::vector<float> y;
  for (int l : labels) {
    FBD_CHECK(l == 0 || l == 1, "classifier: labels must be 0 or 1, got ", l);
    y.push_back(float(l));
  }
  const Tensor yt = Tensor::from_vector(y, {int64_t(y.size()), 1});
  optim::AdamOptions ao;
  ao.lr = o.lr;
  ao.weight_decay = o.weight_decay;
  optim::Adam opt(net_->named_parameters(), ao);
  net_->train();
  for (int e = 0; e < o.epochs; ++e) {
    const Tensor loss = bce_loss(net_->forward(xt), yt);
    if (e == 0) first_loss_ = loss.item();
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  NoGradGuard no_grad;
  final_loss_ = bce_loss(net_->forward(xt), yt).item();
  net_->eval();
}

std::vector<double> MlpClassifier::predict_proba(const std::vector<std::vector<double>>& x) const {
  FBD_CHECK(net_ != nullptr, "classifier: predict before fit");
  if (x.empty()) return {};
  NoGradGuard no_grad;
  const std::vector<float> p = sigmoid(net_->forward(to_tensor(x, inputs_))).to_vector<float>();
  return std::vector<double>(p.begin(), p.end());
}

// ---- metrics and baselines -----------------------------------------------------------------

BinaryMetrics binary_metrics(const std::vector<int>& truth, const std::vector<int>& pred) {
  FBD_CHECK(truth.size() == pred.size(), "binary_metrics: ", truth.size(), " labels and ", pred.size(), " predictions");
  BinaryMetrics m;
  for (size_t i = 0; i < truth.size(); ++i) {
    if (truth[i])
      (pred[i] ? m.tp : m.fn)++;
    else
      (pred[i] ? m.fp : m.tn)++;
  }
  auto ratio = [](int64_t a, int64_t b) { return b > 0 ? double(a) / double(b) : NAN; };
  m.accuracy = ratio(m.tp + m.tn, m.tp + m.tn + m.fp + m.fn);
  m.sensitivity = ratio(m.tp, m.tp + m.fn);
  m.specificity = ratio(m.tn, m.tn + m.fp);
  return m;
}

ThresholdRule fit_threshold(const std::vector<double>& values, const std::vector<int>& labels) {
  FBD_CHECK(!values.empty() && values.size() == labels.size(), "fit_threshold: ", values.size(), " values and ",
            labels.size(), " labels");
  std::vector<double> v(values);
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  // Candidates: below everything, the midpoints, above everything.
  std::vector<double> cand = {v.front() - 1.0};
  for (size_t i = 0; i + 1 < v.size(); ++i) cand.push_back(0.5 * (v[i] + v[i + 1]));
  cand.push_back(v.back() + 1.0);
  ThresholdRule best;
  int64_t best_correct = -1;
  for (int dir : {1, -1})
    for (double t : cand) {
      const ThresholdRule r{t, dir};
      int64_t correct = 0;
      for (size_t i = 0; i < values.size(); ++i) correct += r.predict(values[i]) == labels[i];
      if (correct > best_correct) best_correct = correct, best = r;
    }
  return best;
}

void check_classifier_inputs(const std::vector<PatientRecord>& patients, int k) {
  FBD_CHECK(k >= 2, "classify: --folds must be at least 2, got ", k);
  int benign = 0, malignant = 0;
  for (const PatientRecord& p : patients) {
    benign += p.label == data::Label::Benign;
    malignant += p.label == data::Label::Malignant;
  }
  FBD_CHECK(benign >= 2 && malignant >= 2,
            "classify: cross-validation needs at least 2 labelled patients of each class, found ", benign,
            " benign and ", malignant, " malignant (labels come from the manifest's label column)");
  FBD_CHECK(benign + malignant >= k, "classify: ", benign + malignant, " labelled patients cannot fill ", k,
            " folds (use a smaller --folds)");
}

// ---- the MLP as a classifier of patients ------------------------------------------------------

MlpPatientClassifier::MlpPatientClassifier(const MlpOptions& o) : o_(o) { check_mlp_options(o); }

FoldFit MlpPatientClassifier::fit_predict(const FoldData& fold) {
  std::vector<std::vector<double>> train_x, test_x;
  for (const PatientRecord* r : fold.train) train_x.push_back(r->features.values());
  for (const PatientRecord* r : fold.test) test_x.push_back(r->features.values());
  // Statistics of the training fold only.
  const Standardizer st = Standardizer::fit(train_x);
  for (auto& r : train_x) r = st.apply(r);
  for (auto& r : test_x) r = st.apply(r);
  MlpOptions fo = o_;
  fo.seed = fold.seed;  // a different initialisation per fold
  MlpClassifier mlp;
  mlp.fit(train_x, fold.train_labels, fo);
  parameters_ = mlp.parameters();
  return {mlp.predict_proba(test_x), mlp.first_loss(), mlp.final_loss()};
}

// ---- the shared cross-validation ---------------------------------------------------------------

const ClassifierResult& CvResult::classifier(const std::string& name) const { return classifiers[index_of(name)]; }

size_t CvResult::index_of(const std::string& name) const {
  for (size_t i = 0; i < classifiers.size(); ++i)
    if (classifiers[i].name == name) return i;
  FBD_FAIL("classify: no result for classifier '", name, "'");
}

CvResult cross_validate(const std::vector<PatientRecord>& patients, int k, uint64_t seed,
                        const std::vector<PatientClassifier*>& classifiers, const data::KFold* folds) {
  if (folds) k = folds->k;
  const bool holdout = folds && k == 1;
  check_classifier_inputs(patients, holdout ? 2 : k);
  CvResult res;
  res.k = k;
  std::vector<data::PatientLabel> labelled;
  std::map<std::string, size_t> index;  // patient -> position among the labelled
  std::vector<const PatientRecord*> rec;
  for (const PatientRecord& p : patients) {
    if (p.label == data::Label::Unknown) {
      res.left_out.push_back(p.patient);
      continue;
    }
    FBD_CHECK(!index.count(p.patient), "classify: patient '", p.patient, "' listed twice");
    index[p.patient] = labelled.size();
    labelled.push_back({p.patient, p.label});
    rec.push_back(&p);
  }
  const size_t nc = classifiers.size();
  res.predictions.resize(rec.size());
  for (size_t i = 0; i < rec.size(); ++i) {
    res.predictions[i].patient = rec[i]->patient;
    res.predictions[i].truth = rec[i]->label == data::Label::Malignant ? 1 : 0;
    res.predictions[i].p.assign(nc, NAN);
    res.predictions[i].pred.assign(nc, 0);
  }
  res.classifiers.resize(nc);
  for (size_t c = 0; c < nc; ++c) res.classifiers[c].name = classifiers[c]->name();
  std::vector<double> first_sum(nc, 0.0), final_sum(nc, 0.0);

  data::KFold kf;
  if (folds) {
    // The given folds, restricted to the labelled patients; each of them tested exactly once.
    kf = *folds;
    std::map<std::string, int> tested_in;
    for (data::Fold& f : kf.folds) {
      auto keep = [&](std::vector<std::string>& v) {
        v.erase(std::remove_if(v.begin(), v.end(), [&](const std::string& p) { return !index.count(p); }), v.end());
      };
      keep(f.train_patients);
      keep(f.test_patients);
      for (const std::string& p : f.test_patients) ++tested_in[p];
    }
    if (holdout) {
      const data::Fold& f = kf.folds.at(0);
      int train_classes[2] = {0, 0};
      for (const std::string& p : f.train_patients) ++train_classes[rec[index.at(p)]->label == data::Label::Malignant];
      FBD_CHECK(!f.test_patients.empty(), "classify: the split has no labelled test patient");
      FBD_CHECK(train_classes[0] > 0 && train_classes[1] > 0,
                "classify: the split's training patients must include both classes, found ", train_classes[0],
                " benign and ", train_classes[1], " malignant");
    } else {
      for (const auto& [p, i] : index)
        FBD_CHECK(tested_in[p] == 1, "classify: labelled patient '", p, "' is in the test part of ", tested_in[p],
                  " folds of the folds file (expected 1)");
    }
  } else {
    kf = data::make_kfold(labelled, k, seed);
  }
  std::vector<int> tested(rec.size(), 0);
  for (size_t f = 0; f < kf.folds.size(); ++f) {
    const data::Fold& fold = kf.folds[f];
    FoldData fd;
    fd.index = int(f);
    fd.seed = seed * 1000003ull + f;
    std::vector<double> train_volume;
    std::vector<size_t> test_at;
    for (const std::string& p : fold.train_patients) {
      const PatientRecord& r = *rec[index.at(p)];
      fd.train.push_back(&r);
      fd.train_labels.push_back(r.label == data::Label::Malignant ? 1 : 0);
      train_volume.push_back(r.features.volume_ratio);
    }
    for (const std::string& p : fold.test_patients) {
      test_at.push_back(index.at(p));
      fd.test.push_back(rec[index.at(p)]);
    }
    for (size_t t = 0; t < test_at.size(); ++t) {
      CvPrediction& cp = res.predictions[test_at[t]];
      FBD_CHECK(tested[test_at[t]]++ == 0, "classify: patient '", cp.patient, "' tested twice");
      cp.fold = int(f) + 1;
    }
    for (size_t c = 0; c < nc; ++c) {
      const auto t0 = std::chrono::steady_clock::now();
      const FoldFit fit = classifiers[c]->fit_predict(fd);
      ClassifierResult& cr = res.classifiers[c];
      cr.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      FBD_CHECK(fit.p.size() == test_at.size(), "classify: ", cr.name, " returned ", fit.p.size(),
                " probabilities for ", test_at.size(), " test patients");
      first_sum[c] += fit.first_loss, final_sum[c] += fit.final_loss;
      for (size_t t = 0; t < test_at.size(); ++t) {
        CvPrediction& cp = res.predictions[test_at[t]];
        cp.p[c] = fit.p[t];
        cp.pred[c] = fit.p[t] >= 0.5 ? 1 : 0;
      }
    }
    const int64_t malignant = std::count(fd.train_labels.begin(), fd.train_labels.end(), 1);
    const int majority = 2 * malignant >= int64_t(fd.train_labels.size()) ? 1 : 0;
    const ThresholdRule rule = fit_threshold(train_volume, fd.train_labels);
    for (size_t t = 0; t < test_at.size(); ++t) {
      CvPrediction& cp = res.predictions[test_at[t]];
      cp.majority = majority;
      cp.volume = rule.predict(rec[test_at[t]]->features.volume_ratio);
    }
  }
  if (holdout) {  // only the test patients were predicted; those in neither part are out of the run
    const std::vector<std::string>& train = kf.folds[0].train_patients;
    std::vector<CvPrediction> tested_only;
    for (CvPrediction& cp : res.predictions)
      if (cp.fold > 0)
        tested_only.push_back(std::move(cp));
      else if (std::find(train.begin(), train.end(), cp.patient) != train.end())
        res.train_only.push_back(cp.patient);
    res.predictions = std::move(tested_only);
  }
  std::vector<int> truth, maj, vol;
  std::vector<std::vector<int>> pred(nc);
  for (const CvPrediction& cp : res.predictions) {
    FBD_CHECK(cp.fold > 0, "classify: patient '", cp.patient, "' was never tested");
    truth.push_back(cp.truth), maj.push_back(cp.majority), vol.push_back(cp.volume);
    for (size_t c = 0; c < nc; ++c) pred[c].push_back(cp.pred[c]);
  }
  for (size_t c = 0; c < nc; ++c) {
    ClassifierResult& cr = res.classifiers[c];
    cr.metrics = binary_metrics(truth, pred[c]);
    cr.mean_first_loss = first_sum[c] / double(kf.folds.size());
    cr.mean_final_loss = final_sum[c] / double(kf.folds.size());
    cr.parameters = classifiers[c]->parameters();
    cr.detail = classifiers[c]->detail();
  }
  res.majority = binary_metrics(truth, maj);
  res.volume = binary_metrics(truth, vol);
  return res;
}

CvResult cross_validate(const std::vector<PatientRecord>& patients, int k, const MlpOptions& o) {
  check_classifier_inputs(patients, k);
  MlpPatientClassifier mlp(o);
  return cross_validate(patients, k, o.seed, {&mlp});
}

// ---- features from a trained run -----------------------------------------------------------

std::vector<PatientRecord> patient_records(SegNet* net, const data::Dataset& ds, const RunConfig& c, Device device,
                                           const std::vector<std::string>& patients, bool use_truth, bool progress,
                                           const RoiOptions& roi) {
  FBD_CHECK(use_truth || net != nullptr, "patient_records: no network to predict with");
  check_roi_options(roi);
  const std::set<std::string> trained(c.train_patients.begin(), c.train_patients.end());
  std::vector<PatientRecord> out;
  Progress bar(use_truth ? "features" : "predict", int64_t(patients.size()), "patient");
  for (const std::string& patient : patients) {
    PatientRecord r;
    r.patient = patient;
    r.in_training_split = trained.count(patient) > 0;
    const std::vector<std::string> ids = case_ids(ds, {patient});
    FBD_CHECK(!ids.empty(), ds.root, ": patient '", patient, "' has no slices");
    for (const std::string& id : ids) {
      const data::Label l = ds.find(id)->label;
      FBD_CHECK(r.label == data::Label::Unknown || l == r.label || l == data::Label::Unknown, ds.root, ": patient '",
                patient, "' has two labels (", data::label_name(r.label), " and ", data::label_name(l), ")");
      if (l != data::Label::Unknown) r.label = l;
    }
    const std::vector<data::Sample> slices = load_slices(ds, ids);
    std::vector<data::Image> tumour_prob;
    if (use_truth) {
      for (const data::Sample& s : slices) {
        FBD_CHECK(!s.mask.empty(), s.id, ": no ground-truth mask (needed for --masks truth)");
        tumour_prob.push_back(s.mask);
      }
    } else {
      for (SlicePrediction& p : predict_slices(*net, slices, c, device)) tumour_prob.push_back(std::move(p.prob));
    }
    // Keep the buffers alive while patient_features reads them.
    std::vector<std::vector<uint8_t>> tumour(slices.size()), breast(slices.size());
    std::vector<SliceInput> inputs;
    for (size_t i = 0; i < slices.size(); ++i) {
      const data::Image& img = slices[i].image;
      const data::Image breast_est = data::breast_mask(img);  // the body in front of the chest wall
      tumour[i].resize(img.px.size());
      breast[i].resize(img.px.size());
      for (size_t j = 0; j < img.px.size(); ++j) {
        tumour[i][j] = tumour_prob[i].px[j] >= 0.5f ? 1 : 0;
        breast[i][j] = breast_est.px[j] >= 0.5f ? 1 : 0;
      }
      inputs.push_back({img.px.data(), tumour[i].data(), breast[i].data(), img.height, img.width});
      if (roi.crops) {
        SliceRois crops =
            slice_rois(img, tumour[i].data(), breast[i].data(), roi, data::derive_key(roi.seed, out.size(), i));
        if (crops.tumour) r.rois.push_back(std::move(*crops.tumour));
        if (crops.background) r.backgrounds.push_back(std::move(*crops.background));
      }
    }
    r.features = patient_features(inputs);
    r.slices = int(slices.size());
    out.push_back(std::move(r));
    if (progress) bar.update(int64_t(out.size()));
  }
  if (progress) bar.finish();
  return out;
}

}  // namespace fbd::app
