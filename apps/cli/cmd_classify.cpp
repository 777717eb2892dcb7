// `fbd classify`: benign vs malignant from a trained run's segmentations (paper Table 4), by
// patient-level stratified cross-validation of the classifiers named by --classifier (the MLP on
// per-patient features, and the CNNs on tumour crops: apps/classify/classifier_registry.h),
// beside a majority-class and a volume-ratio-threshold baseline (apps/classify/classifier.h).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "apps/classify/classifier.h"
#include "apps/classify/classifier_registry.h"
#include "apps/classify/cnn_classifier.h"
#include "apps/cli/command_registry.h"
#include "apps/report/bar_chart.h"
#include "apps/report/html_report.h"
#include "apps/train/run_data.h"
#include "apps/train/trainer.h"
#include "core/file_io.h"
#include "data/kfold.h"

namespace fbd::app {

namespace {

struct Options {
  std::string model, data, out, device = "auto", checkpoint = "last", masks = "predicted";
  std::string classifier = "mlp";
  int folds = 3;
  std::string folds_file;
  std::string split;  // a split file: one hold-out split instead of cross-validation
  bool folds_given = false;
  MlpOptions mlp;
  int64_t input_size = 0;  // 0: 64 on the CPU, each network's paper size on a GPU
  double width_mult = 0;   // 0: 0.25 on the CPU, 1 on a GPU
  double roi_margin = 0.25;
  CnnOptions cnn = [] {
    CnnOptions c;
    c.lr = 0;  // each network's own (ClassifierInfo::lr)
    return c;
  }();
};

std::string pct(double v) { return std::isnan(v) ? "n/a" : format_number(100.0 * v, 1) + "%"; }

nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json metrics_json(const BinaryMetrics& m) {
  return {{"accuracy", num(m.accuracy)},
          {"sensitivity", num(m.sensitivity)},
          {"specificity", num(m.specificity)},
          {"tp", m.tp},
          {"fp", m.fp},
          {"tn", m.tn},
          {"fn", m.fn}};
}

// A rate or multiplier as printf's %g writes it (1e-04, 0.25).
std::string short_number(double v) {
  char b[32];
  std::snprintf(b, sizeof(b), "%g", v);
  return b;
}

const char* label_of(int malignant) { return malignant ? "malignant" : "benign"; }

std::string sibling_path(const std::string& csv, const char* extension) {
  std::filesystem::path p(csv);
  p.replace_extension(extension);
  return p.string();
}

std::string paper_of(const PaperResult& p) {
  if (std::isnan(p.accuracy)) return "-";
  return format_number(p.accuracy, 1) + "/" + format_number(p.sensitivity, 1) + "/" + format_number(p.specificity, 1);
}

// One classifier as the command runs it.
struct Plan {
  const ClassifierInfo* info;
  std::unique_ptr<PatientClassifier> classifier;
  CnnConfig config;  // image classifiers: as built
  double lr = 0;     // image classifiers: the learning rate
};

void run(const Options& o) {
  // Everything is checked before the network runs or a file is written.
  const RunConfig run_c = load_run_config(o.model);
  const std::string data_dir = o.data.empty() ? run_c.data : o.data;
  const data::Dataset ds = open_dataset(data_dir, run_c.volume);
  const bool same_data = std::filesystem::exists(run_c.data) && std::filesystem::equivalent(data_dir, run_c.data);
  FBD_CHECK(o.masks == "predicted" || o.masks == "truth", "--masks must be predicted or truth, got '", o.masks, "'");
  FBD_CHECK(o.checkpoint == "last" || o.checkpoint == "best", "--checkpoint must be last or best, got '", o.checkpoint,
            "'");
  if (o.masks == "predicted") check_dataset_channels(run_c, ds);
  check_mlp_options(o.mlp);
  const std::vector<std::string> names = parse_classifier_list(o.classifier);
  FBD_CHECK(o.input_size >= 0, "--input-size must be positive (or 0 for the default), got ", o.input_size);
  FBD_CHECK(o.width_mult >= 0, "--width-mult must be positive (or 0 for the default), got ", o.width_mult);
  FBD_CHECK(o.cnn.lr >= 0 && std::isfinite(o.cnn.lr), "--cnn-lr must be positive (or 0 for each network's own), got ",
            o.cnn.lr);
  FBD_CHECK(o.roi_margin >= 0 && o.roi_margin <= 4, "--roi-margin must be in [0, 4], got ", o.roi_margin);
  std::vector<PatientRecord> labels_only;
  for (const std::string& p : ds.patients()) {
    PatientRecord r;
    r.patient = p;
    for (const std::string& id : case_ids(ds, {p}))
      if (ds.find(id)->label != data::Label::Unknown) r.label = ds.find(id)->label;
    labels_only.push_back(r);
  }
  std::unique_ptr<data::KFold> folds_file;
  if (!o.folds_file.empty()) {
    FBD_CHECK(!o.folds_given, "--folds-file holds the folds: --folds does not apply");
    FBD_CHECK(o.split.empty(), "--split and --folds-file are two ways to choose the test patients: give one");
    folds_file = std::make_unique<data::KFold>(data::load_kfold(o.folds_file));
    data::check_kfold_patients(*folds_file, ds, o.folds_file);
  } else if (!o.split.empty()) {  // one hold-out split: a k-fold of one fold
    FBD_CHECK(!o.folds_given, "--split holds the test patients: --folds does not apply");
    folds_file = std::make_unique<data::KFold>();
    folds_file->k = 1;
    folds_file->folds.push_back(data::load_split(o.split, ds));
  }
  const int k = folds_file ? folds_file->k : o.folds;
  check_classifier_inputs(labels_only, k == 1 ? 2 : k);
  const std::string csv_path = o.out.empty() ? (std::filesystem::path(o.model) / "classify.csv").string() : o.out;
  const std::string json_path = sibling_path(csv_path, ".json"), html_path = sibling_path(csv_path, ".html");
  FBD_CHECK(csv_path != json_path && csv_path != html_path, "--out: ", csv_path,
            " would be overwritten by the JSON summary or the report; name a .csv file");
  const std::filesystem::path parent = std::filesystem::absolute(csv_path).parent_path();
  FBD_CHECK(std::filesystem::is_directory(parent), "--out: folder ", parent.string(), " does not exist");
  std::string note;
  const Device device = resolve_device(o.device, &note);
  if (note.empty()) note = device.str();

  bool any_image = false, any_transfer = false;
  std::vector<Plan> plans;
  for (const std::string& name : names) {
    Plan p{&find_classifier(name), nullptr, {}};
    if (p.info->input == ClassifierInput::Features) {
      p.classifier = std::make_unique<MlpPatientClassifier>(o.mlp);
    } else {
      CnnOptions co = o.cnn;
      co.net.input_size = o.input_size > 0 ? o.input_size : device.is_cuda() ? p.info->gpu_input : 64;
      co.net.width_mult = o.width_mult > 0 ? o.width_mult : device.is_cuda() ? 1.0 : 0.25;
      co.lr = o.cnn.lr > 0 ? o.cnn.lr : p.info->lr;
      co.device = device;
      co.progress = true;
      if (!p.info->transfer) co.pretrained.clear();
      auto cnn = std::make_unique<CnnPatientClassifier>(name, co);
      p.config = cnn->config();
      p.lr = co.lr;
      p.classifier = std::move(cnn);
      any_image = true;
      any_transfer |= p.info->transfer;
    }
    plans.push_back(std::move(p));
  }
  FBD_CHECK(o.cnn.pretrained.empty() || any_transfer, "--pretrained is for alexnet-tl; add it to --classifier");

  RunConfig c = run_c;
  if (!same_data) c.train_patients.clear();  // another data set: no patient was seen in training
  const bool truth = o.masks == "truth";
  std::shared_ptr<SegNet> net;
  if (!truth) net = load_trained_net(o.model, c, o.checkpoint, device);

  std::fprintf(stderr, "fbd classify: %s; %s from %s masks of %zu patients\n", note.c_str(),
               any_image ? "features and tumour crops" : "features", truth ? "ground-truth" : "predicted",
               ds.patients().size());
  const auto t0 = std::chrono::steady_clock::now();
  RoiOptions roi;
  roi.crops = any_image;
  roi.margin = o.roi_margin;
  roi.seed = o.mlp.seed;
  const std::vector<PatientRecord> records = patient_records(net.get(), ds, c, device, ds.patients(), truth, true, roi);
  const double feature_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<PatientClassifier*> classifiers;
  for (const Plan& p : plans) classifiers.push_back(p.classifier.get());
  const CvResult cv = cross_validate(records, k, o.mlp.seed, classifiers, folds_file.get());
  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const size_t nc = plans.size();

  // ---- the per-patient table ----
  std::map<std::string, const PatientRecord*> rec;
  for (const PatientRecord& r : records) rec[r.patient] = &r;
  const std::vector<std::string> fnames = PatientFeatures::names();
  std::ostringstream csv;
  csv << "patient,label,fold,seen_in_segmentation_training,slices";
  for (const std::string& n : fnames) csv << "," << n;
  if (any_image) csv << ",tumour_crops";
  for (const Plan& p : plans) csv << ",p_malignant_" << p.info->name << "," << p.info->name;
  csv << ",majority,volume_threshold\n";
  std::printf("%-12s %-9s %4s %4s %8s %7s %7s %7s %7s", "patient", "label", "fold", "seen", "vol.ratio", "compact",
              "solid", "irreg", "int.mu");
  if (any_image) std::printf(" %5s", "crops");
  for (const Plan& p : plans) std::printf(" %*s", nc == 1 ? 7 : int(std::max<size_t>(7, strlen(p.info->label))), nc == 1 ? "p(mal)" : p.info->label);
  if (nc == 1) std::printf("  %-9s", plans[0].info->label);
  std::printf("  %-9s %-9s\n", "majority", "volume");
  nlohmann::json preds = nlohmann::json::array();
  for (const CvPrediction& p : cv.predictions) {
    const PatientRecord& r = *rec.at(p.patient);
    const std::vector<double> v = r.features.values();
    csv << p.patient << "," << label_of(p.truth) << "," << p.fold << "," << (r.in_training_split ? 1 : 0) << ","
        << r.slices;
    nlohmann::json feats = nlohmann::json::object();
    for (size_t j = 0; j < v.size(); ++j) {
      csv << "," << format_number(v[j], 6);
      feats[fnames[j]] = num(v[j]);
    }
    if (any_image) csv << "," << r.rois.size();
    std::printf("%-12s %-9s %4d %4s %8.5f %7.3f %7.3f %7.3f %7.3f", p.patient.c_str(), label_of(p.truth), p.fold,
                r.in_training_split ? "yes" : "no", r.features.volume_ratio, r.features.compactness,
                r.features.solidity, r.features.irregularity, r.features.intensity_mean);
    if (any_image) std::printf(" %5zu", r.rois.size());
    nlohmann::json row = {{"patient", p.patient},
                          {"label", label_of(p.truth)},
                          {"fold", p.fold},
                          {"seen_in_segmentation_training", r.in_training_split},
                          {"slices", r.slices},
                          {"features", feats}};
    if (any_image) row["tumour_crops"] = r.rois.size();
    for (size_t k = 0; k < nc; ++k) {
      const std::string& name = plans[k].info->name;
      csv << "," << format_number(p.p[k], 6) << "," << label_of(p.pred[k]);
      std::printf(" %*.3f", nc == 1 ? 7 : int(std::max<size_t>(7, strlen(plans[k].info->label))), p.p[k]);
      row["p_malignant_" + name] = num(p.p[k]);
      row[name] = label_of(p.pred[k]);
    }
    if (nc == 1) std::printf("  %-9s", label_of(p.pred[0]));
    std::printf("  %-9s %-9s\n", label_of(p.majority), label_of(p.volume));
    csv << "," << label_of(p.majority) << "," << label_of(p.volume) << "\n";
    row["majority"] = label_of(p.majority);
    row["volume_threshold"] = label_of(p.volume);
    preds.push_back(row);
  }

  // ---- the Table 4 metrics ----
  std::printf("\n%-24s %9s %12s %12s   %-13s %11s %9s %8s   %s\n", "method", "accuracy", "sensitivity", "specificity",
              "TP FN TN FP", "parameters", "input", "seconds", "paper (Table 4) acc/sens/spec %");
  auto row = [](const std::string& name, const BinaryMetrics& m, const std::string& params, const std::string& input,
                const std::string& seconds, const std::string& paper) {
    const std::string counts = std::to_string(m.tp) + " " + std::to_string(m.fn) + " " + std::to_string(m.tn) + " " +
                               std::to_string(m.fp);
    std::printf("%-24s %9s %12s %12s   %-13s %11s %9s %8s   %s\n", name.c_str(), pct(m.accuracy).c_str(),
                pct(m.sensitivity).c_str(), pct(m.specificity).c_str(), counts.c_str(), params.c_str(), input.c_str(),
                seconds.c_str(), paper.c_str());
  };
  nlohmann::json metrics = nlohmann::json::object(), about = nlohmann::json::array();
  for (size_t k = 0; k < nc; ++k) {
    const Plan& p = plans[k];
    const ClassifierResult& cr = cv.classifiers[k];
    const bool image = p.info->input == ClassifierInput::Image;
    const std::string input = image ? std::to_string(p.config.input_size) + " px" : "features";
    row(p.info->label, cr.metrics, std::to_string(cr.parameters), input, format_number(cr.seconds, 1),
        paper_of(p.info->paper));
    metrics[p.info->name] = metrics_json(cr.metrics);
    nlohmann::json a = {{"name", p.info->name},
                        {"label", p.info->label},
                        {"description", p.info->description},
                        {"source", p.info->source},
                        {"input", image ? "tumour crops" : "features"},
                        {"parameters", cr.parameters},
                        {"seconds", cr.seconds},
                        {"first_loss", num(cr.mean_first_loss)},
                        {"final_loss", num(cr.mean_final_loss)},
                        {"paper", {{"accuracy", num(p.info->paper.accuracy / 100.0)},
                                   {"sensitivity", num(p.info->paper.sensitivity / 100.0)},
                                   {"specificity", num(p.info->paper.specificity / 100.0)}}}};
    if (image) {
      a["lr"] = p.lr;
      a["input_size"] = p.config.input_size;
      a["width_mult"] = p.config.width_mult;
    }
    if (p.info->transfer) a["pretraining"] = cr.detail;
    about.push_back(a);
  }
  row("volume-ratio threshold", cv.volume, "-", "features", "-", "-");
  row("majority class", cv.majority, "-", "-", "-", "-");
  int64_t seen = 0;
  for (const CvPrediction& p : cv.predictions) seen += rec.at(p.patient)->in_training_split;  // of those tested
  if (cv.k == 1)
    std::printf("(%zu labelled test patients of the split %s, %zu labelled training patients; malignant = positive",
                cv.predictions.size(), o.split.c_str(), cv.train_only.size());
  else
    std::printf(
        "(%zu labelled patients, %d-fold patient-level stratified cross-validation, pooled over the test folds; "
        "malignant = positive",
        cv.predictions.size(), cv.k);
  for (size_t k = 0; k < nc; ++k)
    if (plans[k].info->input == ClassifierInput::Features)
      std::printf("; MLP %zu-%d-1, %d Adam steps, training BCE %.3f -> %.3f", fnames.size(), o.mlp.hidden,
                  o.mlp.epochs, cv.classifiers[k].mean_first_loss, cv.classifiers[k].mean_final_loss);
  std::printf(")\n");
  if (any_image) {
    const Plan* first_image = nullptr;
    for (const Plan& p : plans)
      if (p.info->input == ClassifierInput::Image && !first_image) first_image = &p;
    std::printf(
        "CNNs: the tumour's bounding box on each slice grown by %.0f%% of its longer side, cropped, resized to the "
        "input size; width multiplier %s; %d epochs of AdamW (batch %d), flips and transposes; a patient's "
        "probability is the mean over its crops. Learning rate, training BCE (first -> last epoch):",
        100.0 * o.roi_margin, short_number(first_image->config.width_mult).c_str(), o.cnn.epochs, o.cnn.batch);
    for (size_t k = 0; k < nc; ++k)
      if (plans[k].info->input == ClassifierInput::Image)
        std::printf(" %s lr %g, %.3f -> %.3f;", plans[k].info->name, plans[k].lr, cv.classifiers[k].mean_first_loss,
                    cv.classifiers[k].mean_final_loss);
    std::printf("\n");
    for (size_t k = 0; k < nc; ++k)
      if (plans[k].info->transfer)
        std::printf("alexnet-tl: %s (width multiplier %s)\n", cv.classifiers[k].detail.c_str(),
                    short_number(plans[k].config.width_mult).c_str());
  }
  if (!cv.left_out.empty()) {
    std::string list;
    for (size_t i = 0; i < cv.left_out.size() && i < 10; ++i) list += (i ? ", " : "") + cv.left_out[i];
    if (cv.left_out.size() > 10) list += ", ...";
    std::printf("left out: %zu patient(s) without a label (%s)\n", cv.left_out.size(), list.c_str());
  }
  if (seen > 0 && !truth)
    std::printf(
        "note: the segmentation network was trained on %lld of these patients; their masks (and features) are "
        "better than an unseen patient's would be\n",
        (long long)seen);

  metrics["volume_threshold"] = metrics_json(cv.volume);
  metrics["majority"] = metrics_json(cv.majority);
  nlohmann::json j = {{"model", o.model},
                      {"data", data_dir},
                      {"masks", o.masks},
                      {"checkpoint", o.checkpoint},
                      {"device", device.str()},
                      {"folds", cv.k},
                      {"split", o.split},
                      {"train_only", cv.train_only},
                      {"seed", o.mlp.seed},
                      {"classifier", o.classifier},
                      {"classifiers", about},
                      {"mlp",
                       {{"hidden", o.mlp.hidden},
                        {"epochs", o.mlp.epochs},
                        {"lr", o.mlp.lr},
                        {"weight_decay", o.mlp.weight_decay}}},
                      {"features", fnames},
                      {"labelled_patients", cv.predictions.size()},
                      {"left_out", cv.left_out},
                      {"seen_in_segmentation_training", seen},
                      {"metrics", metrics},
                      {"seconds", total_s},
                      {"predictions", preds}};
  for (size_t k = 0; k < nc; ++k)
    if (plans[k].info->input == ClassifierInput::Features) {
      j["mlp"]["first_loss"] = num(cv.classifiers[k].mean_first_loss);
      j["mlp"]["final_loss"] = num(cv.classifiers[k].mean_final_loss);
    }
  if (any_image)
    j["cnn"] = {{"crops", "tumour bounding box on each slice, grown by roi_margin of its longer side on every side, "
                          "clipped to the image, resized to input_size"},
                {"roi_margin", o.roi_margin},
                {"epochs", o.cnn.epochs},
                {"batch", o.cnn.batch},
                {"lr", o.cnn.lr > 0 ? nlohmann::json(o.cnn.lr) : nlohmann::json("each network's own")},
                {"weight_decay", o.cnn.weight_decay},
                {"optimizer", "AdamW"},
                {"loss", "BCE with logits on one logit per crop"},
                {"augmentation", "the eight flips and transposes of the square"},
                {"aggregation", "mean of the crops' probabilities per patient; no crop: the training fold's "
                                "malignant fraction"},
                {"pretrain_epochs", o.cnn.pretrain_epochs},
                {"pretrained", o.cnn.pretrained}};
  const std::string csv_text = csv.str(), json_text = j.dump(2) + "\n";
  write_file_atomic(csv_path, [&](std::ostream& os) { os << csv_text; });
  write_file_atomic(json_path, [&](std::ostream& os) { os << json_text; });

  // ---- the report: Table 4 as a table and grouped bars, then every patient ----
  Report rep("fbd classify: benign vs malignant (paper Table 4)");
  std::ostringstream intro;
  intro << "Segmentations of " << o.model << " (" << o.checkpoint << " checkpoint, " << o.masks << " masks) on "
        << data_dir << "; ";
  if (cv.k == 1)
    intro << cv.predictions.size() << " labelled test patients of the split " << o.split << ", every classifier "
          << "and baseline trained on its " << cv.train_only.size() << " labelled training patients (seed "
          << o.mlp.seed << "); malignant is positive. ";
  else
    intro << cv.predictions.size() << " labelled patients, " << cv.k
          << "-fold patient-level stratified cross-validation (seed " << o.mlp.seed
          << "), every classifier and baseline on the same folds, pooled over the test folds; malignant is positive. ";
  intro << "Device " << device.str() << ".";
  if (any_image)
    intro << " CNNs: tumour crops (bounding box grown by " << short_number(100.0 * o.roi_margin)
          << "% of its longer side), " << o.cnn.epochs << " epochs of AdamW, batch " << o.cnn.batch
          << ", the eight flips and transposes; a patient's probability is the mean over its crops.";
  if (seen > 0)
    intro << " " << seen << " of the patients were in the segmentation network's training split: their masks are "
          << "better than an unseen patient's would be.";
  rep.paragraph(intro.str());
  Table t4;
  t4.caption = "Classification (paper Table 4: the paper's accuracy / sensitivity / specificity in the last column)";
  t4.columns = {"method", "accuracy", "sensitivity", "specificity", "TP FN TN FP", "parameters", "input", "lr",
                "seconds", "paper %"};
  auto counts = [](const BinaryMetrics& m) {
    return std::to_string(m.tp) + " " + std::to_string(m.fn) + " " + std::to_string(m.tn) + " " + std::to_string(m.fp);
  };
  BarChart bars;
  bars.title = "Accuracy, sensitivity and specificity (paper Table 4)";
  bars.y_label = "pooled over the test folds";
  bars.series = {"accuracy", "sensitivity", "specificity"};
  for (size_t k = 0; k < nc; ++k) {
    const Plan& p = plans[k];
    const BinaryMetrics& m = cv.classifiers[k].metrics;
    const bool image = p.info->input == ClassifierInput::Image;
    std::string label = p.info->label;
    if (p.info->transfer) label += o.cnn.pretrained.empty() ? " (pretrained on the folds' crops)" : " (ImageNet)";
    t4.rows.push_back({label, pct(m.accuracy), pct(m.sensitivity), pct(m.specificity), counts(m),
                       std::to_string(cv.classifiers[k].parameters),
                       image ? std::to_string(p.config.input_size) + " px x " + short_number(p.config.width_mult)
                             : "features",
                       short_number(image ? p.lr : o.mlp.lr), format_number(cv.classifiers[k].seconds, 1),
                       paper_of(p.info->paper)});
    bars.categories.push_back(p.info->label);
    bars.values.push_back({m.accuracy, m.sensitivity, m.specificity});
  }
  t4.rows.push_back({"volume-ratio threshold", pct(cv.volume.accuracy), pct(cv.volume.sensitivity),
                     pct(cv.volume.specificity), counts(cv.volume), "-", "features", "-", "-", "-"});
  t4.rows.push_back({"majority class", pct(cv.majority.accuracy), pct(cv.majority.sensitivity),
                     pct(cv.majority.specificity), counts(cv.majority), "-", "-", "-", "-", "-"});
  rep.table(t4);
  bars.categories.push_back("volume ratio");
  bars.values.push_back({cv.volume.accuracy, cv.volume.sensitivity, cv.volume.specificity});
  rep.figures({render_bars_svg(bars, std::max(480, 110 * int(bars.categories.size()) + 60), 300)});
  Table per;
  per.caption = std::string(cv.k == 1 ? "Every test patient of the split" : "Every patient") +
                ": its fold, whether segmentation training saw it, and each classifier's probability of malignancy";
  per.columns = {"patient", "label", "fold", "seen", "volume ratio"};
  for (const Plan& p : plans) per.columns.push_back(std::string("p(mal) ") + p.info->label);
  for (const CvPrediction& p : cv.predictions) {
    const PatientRecord& r = *rec.at(p.patient);
    std::vector<std::string> row = {p.patient, label_of(p.truth), std::to_string(p.fold),
                                    r.in_training_split ? "yes" : "no", format_number(r.features.volume_ratio, 4)};
    for (size_t k = 0; k < nc; ++k) row.push_back(format_number(p.p[k], 3));
    per.rows.push_back(row);
  }
  rep.table(per);
  rep.write(html_path);
  std::printf("fbd classify: %.1f s (features%s %.1f s); written %s, %s and %s\n", total_s,
              any_image ? " and crops" : "", feature_s, csv_path.c_str(), json_path.c_str(), html_path.c_str());
}

void register_classify(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "classify",
      "Benign vs malignant from a run's segmentations (Table 4): cross-validated MLP on per-patient features, or CNNs "
      "on tumour crops");
  cmd->add_option("--model", o->model, "run folder (from fbd train)")->required();
  cmd->add_option("--data", o->data, "data set folder with patient labels (default: the run's)");
  cmd->add_option("--classifier", o->classifier, classifier_name_list() + ", a comma-separated list, or all")
      ->capture_default_str();
  cmd->add_option("--folds", o->folds, "patient-level stratified cross-validation folds")
      ->capture_default_str()
      ->each([o](const std::string&) { o->folds_given = true; });
  cmd->add_option("--folds-file", o->folds_file,
                  "a k-fold file (as fbd crossval takes; fbd check-data --folds-out writes one) instead of --folds");
  cmd->add_option("--split", o->split,
                  "split file (as fbd train takes: JSON {\"train_patients\": [...], \"test_patients\": [...]}): "
                  "train on one part, test on the other, instead of cross-validation");
  cmd->add_option("--epochs", o->mlp.epochs, "MLP training steps (full-batch Adam)")->capture_default_str();
  cmd->add_option("--hidden", o->mlp.hidden, "MLP hidden units")->capture_default_str();
  cmd->add_option("--lr", o->mlp.lr, "MLP learning rate")->capture_default_str();
  cmd->add_option("--seed", o->mlp.seed, "seed of the folds and of every classifier's initialisation")
      ->capture_default_str();
  cmd->add_option("--input-size", o->input_size,
                  "CNN input side in pixels (default: 64 on the CPU, each network's paper size on a GPU)");
  cmd->add_option("--width-mult", o->width_mult, "CNN width multiplier (default: 0.25 on the CPU, 1 on a GPU)");
  cmd->add_option("--cnn-epochs", o->cnn.epochs, "CNN training epochs per fold")->capture_default_str();
  cmd->add_option("--batch", o->cnn.batch, "CNN mini-batch size")->capture_default_str();
  cmd->add_option("--cnn-lr", o->cnn.lr, "CNN learning rate (AdamW; default: each network's own, 1e-3, VGG16 1e-4)");
  cmd->add_option("--roi-margin", o->roi_margin, "margin around the tumour's bounding box, a fraction of its longer side")
      ->capture_default_str();
  cmd->add_option("--pretrained", o->cnn.pretrained,
                  "alexnet-tl: torchvision's ImageNet AlexNet as .safetensors (default: pretrain on tumour vs "
                  "background crops of the training folds)");
  cmd->add_option("--pretrain-epochs", o->cnn.pretrain_epochs, "alexnet-tl without --pretrained: pretraining epochs")
      ->capture_default_str();
  cmd->add_option("--device", o->device, "device of the networks: auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--checkpoint", o->checkpoint, "last or best")->capture_default_str();
  cmd->add_option("--masks", o->masks, "predicted, or truth (features of the ground-truth masks: an upper bound)")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "per-patient CSV (default RUN/classify.csv); the JSON summary goes beside it");
  cmd->callback([o] { run(*o); });
}

const CommandRegistrar registrar(55, register_classify);

}  // namespace

}  // namespace fbd::app
