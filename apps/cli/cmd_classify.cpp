// `fbd classify`: benign vs malignant from a trained run's segmentations (paper Table 4), by
// patient-level stratified cross-validation of an MLP on per-patient features, beside a
// majority-class and a volume-ratio-threshold baseline (apps/classify/classifier.h).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "apps/classify/classifier.h"
#include "apps/cli/command_registry.h"
#include "apps/report/html_report.h"
#include "apps/train/run_data.h"
#include "apps/train/trainer.h"
#include "core/file_io.h"

namespace fbd::app {

namespace {

struct Options {
  std::string model, data, out, device = "auto", checkpoint = "last", masks = "predicted";
  int folds = 3;
  MlpOptions mlp;
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

const char* label_of(int malignant) { return malignant ? "malignant" : "benign"; }

std::string json_path_for(const std::string& csv) {
  std::filesystem::path p(csv);
  p.replace_extension(".json");
  return p.string();
}

void run(const Options& o) {
  // Everything is checked before the network runs or a file is written.
  const RunConfig run_c = load_run_config(o.model);
  const std::string data_dir = o.data.empty() ? run_c.data : o.data;
  const data::Dataset ds = open_dataset(data_dir);
  const bool same_data = std::filesystem::exists(run_c.data) && std::filesystem::equivalent(data_dir, run_c.data);
  FBD_CHECK(o.masks == "predicted" || o.masks == "truth", "--masks must be predicted or truth, got '", o.masks, "'");
  FBD_CHECK(o.checkpoint == "last" || o.checkpoint == "best", "--checkpoint must be last or best, got '", o.checkpoint,
            "'");
  check_mlp_options(o.mlp);
  std::vector<PatientRecord> labels_only;
  for (const std::string& p : ds.patients()) {
    PatientRecord r;
    r.patient = p;
    for (const std::string& id : case_ids(ds, {p}))
      if (ds.find(id)->label != data::Label::Unknown) r.label = ds.find(id)->label;
    labels_only.push_back(r);
  }
  check_classifier_inputs(labels_only, o.folds);
  const std::string csv_path = o.out.empty() ? (std::filesystem::path(o.model) / "classify.csv").string() : o.out;
  const std::string json_path = json_path_for(csv_path);
  const std::filesystem::path parent = std::filesystem::absolute(csv_path).parent_path();
  FBD_CHECK(std::filesystem::is_directory(parent), "--out: folder ", parent.string(), " does not exist");
  std::string note;
  const Device device = resolve_device(o.device, &note);
  if (note.empty()) note = device.str();
  RunConfig c = run_c;
  if (!same_data) c.train_patients.clear();  // another data set: no patient was seen in training
  const bool truth = o.masks == "truth";
  std::shared_ptr<SegNet> net;
  if (!truth) net = load_trained_net(o.model, c, o.checkpoint, device);

  std::fprintf(stderr, "fbd classify: %s; features from %s masks of %zu patients\n", note.c_str(),
               truth ? "ground-truth" : "predicted", ds.patients().size());
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<PatientRecord> records = patient_records(net.get(), ds, c, device, ds.patients(), truth);
  const double feature_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const CvResult cv = cross_validate(records, o.folds, o.mlp);
  const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // ---- the per-patient table ----
  std::map<std::string, const PatientRecord*> rec;
  for (const PatientRecord& r : records) rec[r.patient] = &r;
  const std::vector<std::string> fnames = PatientFeatures::names();
  std::ostringstream csv;
  csv << "patient,label,fold,seen_in_segmentation_training,slices";
  for (const std::string& n : fnames) csv << "," << n;
  csv << ",p_malignant_mlp,mlp,majority,volume_threshold\n";
  std::printf("%-12s %-9s %4s %4s %8s %7s %7s %7s %7s %7s  %-9s %-9s %-9s\n", "patient", "label", "fold", "seen",
              "vol.ratio", "compact", "solid", "irreg", "int.mu", "p(mal)", "MLP", "majority", "volume");
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
    csv << "," << format_number(p.p_mlp, 6) << "," << label_of(p.mlp) << "," << label_of(p.majority) << ","
        << label_of(p.volume) << "\n";
    std::printf("%-12s %-9s %4d %4s %8.5f %7.3f %7.3f %7.3f %7.3f %7.3f  %-9s %-9s %-9s\n", p.patient.c_str(),
                label_of(p.truth), p.fold, r.in_training_split ? "yes" : "no", r.features.volume_ratio,
                r.features.compactness, r.features.solidity, r.features.irregularity, r.features.intensity_mean,
                p.p_mlp, label_of(p.mlp), label_of(p.majority), label_of(p.volume));
    preds.push_back({{"patient", p.patient},
                     {"label", label_of(p.truth)},
                     {"fold", p.fold},
                     {"seen_in_segmentation_training", r.in_training_split},
                     {"slices", r.slices},
                     {"features", feats},
                     {"p_malignant_mlp", num(p.p_mlp)},
                     {"mlp", label_of(p.mlp)},
                     {"majority", label_of(p.majority)},
                     {"volume_threshold", label_of(p.volume)}});
  }

  // ---- the Table 4 metrics ----
  std::printf("\n%-24s %9s %12s %12s   %s\n", "method", "accuracy", "sensitivity", "specificity", "TP FN TN FP");
  auto row = [](const char* name, const BinaryMetrics& m) {
    std::printf("%-24s %9s %12s %12s   %lld %lld %lld %lld\n", name, pct(m.accuracy).c_str(),
                pct(m.sensitivity).c_str(), pct(m.specificity).c_str(), (long long)m.tp, (long long)m.fn,
                (long long)m.tn, (long long)m.fp);
  };
  row("MLP", cv.mlp);
  row("volume-ratio threshold", cv.volume);
  row("majority class", cv.majority);
  int64_t seen = 0;
  for (const PatientRecord& r : records) seen += r.in_training_split && r.label != data::Label::Unknown;
  std::printf(
      "(%zu labelled patients, %d-fold patient-level stratified cross-validation, pooled over the test folds; "
      "malignant = positive; MLP %zu-%d-1, %d Adam steps, training BCE %.3f -> %.3f)\n",
      cv.predictions.size(), cv.k, fnames.size(), o.mlp.hidden, o.mlp.epochs, cv.mean_first_loss, cv.mean_final_loss);
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

  nlohmann::json j = {{"model", o.model},
                      {"data", data_dir},
                      {"masks", o.masks},
                      {"checkpoint", o.checkpoint},
                      {"device", device.str()},
                      {"folds", cv.k},
                      {"seed", o.mlp.seed},
                      {"mlp",
                       {{"hidden", o.mlp.hidden},
                        {"epochs", o.mlp.epochs},
                        {"lr", o.mlp.lr},
                        {"weight_decay", o.mlp.weight_decay},
                        {"first_loss", num(cv.mean_first_loss)},
                        {"final_loss", num(cv.mean_final_loss)}}},
                      {"features", fnames},
                      {"labelled_patients", cv.predictions.size()},
                      {"left_out", cv.left_out},
                      {"seen_in_segmentation_training", seen},
                      {"metrics",
                       {{"mlp", metrics_json(cv.mlp)},
                        {"volume_threshold", metrics_json(cv.volume)},
                        {"majority", metrics_json(cv.majority)}}},
                      {"seconds", total_s},
                      {"predictions", preds}};
  const std::string csv_text = csv.str(), json_text = j.dump(2) + "\n";
  write_file_atomic(csv_path, [&](std::ostream& os) { os << csv_text; });
  write_file_atomic(json_path, [&](std::ostream& os) { os << json_text; });
  std::printf("fbd classify: %.1f s (features %.1f s); written %s and %s\n", total_s, feature_s, csv_path.c_str(),
              json_path.c_str());
}

void register_classify(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "classify", "Benign vs malignant from a run's segmentations: cross-validated MLP on per-patient features");
  cmd->add_option("--model", o->model, "run folder (from fbd train)")->required();
  cmd->add_option("--data", o->data, "data set folder with patient labels (default: the run's)");
  cmd->add_option("--folds", o->folds, "patient-level stratified cross-validation folds")->capture_default_str();
  cmd->add_option("--epochs", o->mlp.epochs, "MLP training steps (full-batch Adam)")->capture_default_str();
  cmd->add_option("--hidden", o->mlp.hidden, "MLP hidden units")->capture_default_str();
  cmd->add_option("--lr", o->mlp.lr, "MLP learning rate")->capture_default_str();
  cmd->add_option("--seed", o->mlp.seed, "seed of the folds and the MLP initialisation")->capture_default_str();
  cmd->add_option("--device", o->device, "device of the segmentation network: auto, cpu, cuda or cuda:N")
      ->capture_default_str();
  cmd->add_option("--checkpoint", o->checkpoint, "last or best")->capture_default_str();
  cmd->add_option("--masks", o->masks, "predicted, or truth (features of the ground-truth masks: an upper bound)")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "per-patient CSV (default RUN/classify.csv); the JSON summary goes beside it");
  cmd->callback([o] { run(*o); });
}

const CommandRegistrar registrar(55, register_classify);

}  // namespace

}  // namespace fbd::app
