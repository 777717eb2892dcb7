// `fbd demo`: the main job for a new user, needing no data. It synthesises a breast-MRI phantom
// (data/phantom.h), trains the paper's network with the Focal Boundary Dice loss on the tumour
// quadrants of most patients, evaluates it on whole slices of the held-out patients, classifies
// every patient benign or malignant from its segmentation (Table 4), and writes the run folder
// with its report, printing the held-out Dice at the end.
//
// Two sizes (docs/APP.md): on a CPU a small configuration that finishes in a few minutes on
// 2 cores; with a GPU the paper-size one (256 x 256 slices, 128 x 128 quadrants, wider network).
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "apps/classify/classifier.h"
#include "apps/cli/command_registry.h"
#include "apps/report/run_report.h"
#include "apps/train/run_data.h"
#include "apps/train/trainer.h"
#include "apps/train/volume_eval.h"
#include "core/file_io.h"
#include "data/phantom.h"

namespace fbd::app {

namespace {

struct DemoOptions {
  std::string device = "auto", out = "runs/demo";
  int epochs = 0, patients = 0;  // 0: the configuration's
  uint64_t seed = 1;
  bool force = false, quiet = false, volumes = false;
};

struct DemoPlan {
  data::PhantomOptions phantom;
  RunConfig run;
};

DemoPlan plan_for(const Device& device, const DemoOptions& o) {
  DemoPlan p;
  p.phantom.seed = o.seed;
  RunConfig& c = p.run;
  c.seed = o.seed;
  c.net.net = "fbdnet";
  c.loss.name = "fbd";
  c.device = device.str();
  c.test_fraction = 1.0 / 3;  // 10 of 30 patients held out
  if (device.is_cuda()) {  // paper size
    p.phantom.patients = 30, p.phantom.slices = 12, p.phantom.size = 256;
    c.size = 128, c.net.width = 32, c.net.blocks = 2, c.epochs = 60, c.batch = 16, c.workers = 4;
  } else {  // a few minutes on 2 cores
    p.phantom.patients = 30, p.phantom.slices = 8, p.phantom.size = 128;
    c.size = 64, c.net.width = 16, c.net.blocks = 1, c.epochs = 40, c.batch = 8, c.workers = 1;
  }
  if (o.volumes) p.phantom.format = "nifti";
  if (o.patients > 0) p.phantom.patients = o.patients;
  if (o.epochs > 0) c.epochs = o.epochs;
  return p;
}

void run_demo(const DemoOptions& o) {
  namespace fs = std::filesystem;
  const auto t0 = std::chrono::steady_clock::now();
  std::string note;
  const Device device = resolve_device(o.device, &note);
  DemoPlan plan = plan_for(device, o);
  data::check_phantom_options(plan.phantom);
  check_run_config(plan.run);
  if (fs::exists(o.out) && !fs::is_empty(o.out)) {
    FBD_CHECK(o.force, o.out, " already exists: pass --force to replace it, or another --out");
    fs::remove_all(o.out);
  }
  const std::string data_dir = (fs::path(o.out) / "data").string();
  std::printf("fbd demo: %s\n", note.c_str());
  std::printf("fbd demo: 1/4 synthesising %d patients x %d slices at %d px into %s%s\n", plan.phantom.patients,
              plan.phantom.slices, plan.phantom.size, data_dir.c_str(),
              o.volumes ? " as NIfTI volumes (nnU-Net layout)" : "");
  fs::create_directories(o.out);
  const data::PhantomSummary ps = data::write_phantom(data_dir, plan.phantom);
  std::printf("fbd demo:     %zu slices, %d benign and %d malignant patients, tumour %.1f%% of a slice on average\n",
              ps.cases, ps.benign, ps.malignant, 100.0 * ps.mean_tumour_fraction);

  RunConfig& c = plan.run;
  c.data = fs::absolute(data_dir).string();
  const data::Dataset ds = open_dataset(c.data, c.volume);
  use_dataset_channels(c, ds);
  make_split(ds, c);
  save_run_config(o.out, c);
  std::printf(
      "fbd demo: 2/4 training %s (width %d) with the Focal Boundary Dice loss (%.1f/%.1f/%.1f) for %d epochs on "
      "%zu patients, holding out %zu\n",
      c.net.net.c_str(), c.net.width, c.loss.weights[0], c.loss.weights[1], c.loss.weights[2], c.epochs,
      c.train_patients.size(), c.test_patients.size());
  const TrainResult result = train_network(ds, c, {o.out, !o.quiet, {}});

  std::printf("fbd demo: 3/4 evaluating the held-out patients on whole slices\n");
  RunReportInput in = held_out_report(ds, c, result);
  in.title = "fbd demo: Focal Boundary Dice on a synthetic breast-MRI phantom";
  // From volumes, the held-out volumes are also scored whole, in 3-D and in mm.
  std::vector<VolumeScore> volume_rows;
  if (!ds.volumes.empty()) {
    volume_rows = evaluate_volumes(*result.net, ds, c.test_patients, c, result.device);
    const std::string csv = volume_table_csv(volume_rows);
    write_file_atomic((fs::path(o.out) / "eval_volumes.csv").string(), [&](std::ostream& os) { os << csv; });
    if (!o.quiet) std::printf("%s", volume_table_text(volume_rows).c_str());
  }

  // The benign/malignant classifier (Table 4) on every patient's predicted segmentation.
  std::printf("fbd demo: 4/4 classifying benign vs malignant from the segmentations (MLP, 3-fold patient CV)\n");
  std::vector<std::string> all_patients = ds.patients();
  const std::vector<PatientRecord> records =
      patient_records(result.net.get(), ds, c, result.device, all_patients, false, false);
  MlpOptions mlp;
  mlp.seed = o.seed;
  check_classifier_inputs(records, 3);
  const CvResult cv = cross_validate(records, 3, mlp);
  const BinaryMetrics& mlp_metrics = cv.classifier("mlp").metrics;
  write_run_report(o.out, in, [&](Report& r) {
    if (!volume_rows.empty()) {
      r.heading("Held-out volumes in 3-D");
      r.paragraph("Every slice of each held-out patient's volume predicted and put back on the volume's grid, "
                  "then scored in 3-D with the voxel spacing: distances in mm, volumes in ml (eval_volumes.csv).");
      std::vector<std::vector<std::string>> rows;
      for (const VolumeScore& v : volume_rows)
        rows.push_back({v.id, format_number(v.m.dice, 3), format_number(v.m.hd95, 2), format_number(v.m.assd, 2),
                        format_number(v.m.pred_ml, 2), format_number(v.m.target_ml, 2)});
      r.table({"Held-out volumes", {"volume", "Dice 3-D", "HD95 (mm)", "ASSD (mm)", "predicted ml", "true ml"}, rows, {}});
    }
    r.heading("Benign vs malignant (paper Table 4)");
    r.paragraph(
        "Per-patient features of the predicted segmentations (tumour-to-breast volume ratio, compactness, "
        "solidity, boundary irregularity, intensity), standardised on each training fold, and an MLP, by " +
        std::to_string(cv.k) +
        "-fold patient-level stratified cross-validation pooled over the test folds "
        "(malignant positive). The segmentation network was trained on " +
        std::to_string(c.train_patients.size()) + " of these " + std::to_string(records.size()) +
        " patients, so their masks are better than unseen patients' would be.");
    auto row = [](const std::string& name, const BinaryMetrics& m) {
      return std::vector<std::string>{name, format_number(m.accuracy, 3), format_number(m.sensitivity, 3),
                                      format_number(m.specificity, 3)};
    };
    r.table({"Classification of " + std::to_string(cv.predictions.size()) + " patients",
             {"method", "accuracy", "sensitivity", "specificity"},
             {row("MLP on all features", mlp_metrics), row("volume-ratio threshold", cv.volume),
              row("majority class", cv.majority)},
             {}});
  });
  const MetricMean dice = mean_metric(in.held_out_metrics, Metric::Dice);
  const MetricMean hd95 = mean_metric(in.held_out_metrics, Metric::HD95);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("fbd demo: report %s\n", (fs::path(o.out) / "report.html").string().c_str());
  std::printf("fbd demo: classifier accuracy %.3f (sensitivity %.3f, specificity %.3f); volume ratio alone %.3f\n",
              mlp_metrics.accuracy, mlp_metrics.sensitivity, mlp_metrics.specificity, cv.volume.accuracy);
  if (!volume_rows.empty()) {
    double d3 = 0, h3 = 0;
    for (const VolumeScore& v : volume_rows) d3 += v.m.dice, h3 += v.m.hd95;
    std::printf("fbd demo: held-out volumes: 3-D Dice %.3f, HD95 %.2f mm (mean of %zu volumes)\n",
                d3 / double(volume_rows.size()), h3 / double(volume_rows.size()), volume_rows.size());
  }
  std::printf("fbd demo: held-out Dice %.3f (HD95 %.1f px) on %lld slices of %zu patients, in %.0f s on %s\n",
              dice.mean, hd95.mean, static_cast<long long>(dice.used), c.test_patients.size(), seconds,
              device.str().c_str());
}

void register_demo(CLI::App& app) {
  auto opt = std::make_shared<DemoOptions>();
  auto* cmd =
      app.add_subcommand("demo", "The whole method on a synthetic phantom: synthesise, train, evaluate, report");
  cmd->add_option("--device", opt->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--out", opt->out, "run folder")->capture_default_str();
  cmd->add_flag("--force", opt->force, "replace --out if it exists");
  cmd->add_option("--epochs", opt->epochs, "override the configuration's epochs (CPU 40, GPU 60)");
  cmd->add_option("--patients", opt->patients, "override the phantom's patients (CPU 30, GPU 30)");
  cmd->add_option("--seed", opt->seed, "seed of the phantom, the split and the training")->capture_default_str();
  cmd->add_flag("--quiet", opt->quiet, "no per-epoch progress lines");
  cmd->add_flag("--volumes", opt->volumes,
                "write the phantom as NIfTI volumes (nnU-Net layout) and also score the held-out volumes in 3-D, in mm");
  cmd->callback([opt] { run_demo(*opt); });
}

const CommandRegistrar registrar(20, register_demo);

}  // namespace

}  // namespace fbd::app
