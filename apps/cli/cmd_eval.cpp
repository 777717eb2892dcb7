// `fbd eval`: the table of a trained run on a data set, per slice or per patient (paper Table 2
// lists patients; apps/train/evaluate.h says how a patient's slices are pooled).
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "apps/cli/command_registry.h"
#include "apps/report/html_report.h"
#include "apps/train/evaluate.h"
#include "apps/train/run_data.h"
#include "apps/train/trainer.h"
#include "apps/train/volume_eval.h"
#include "core/file_io.h"

namespace fbd::app {

namespace {

struct Options {
  std::string model, data, split = "auto", checkpoint = "last", out, device = "auto", per = "slice";
  EvalOptions eval;
};

// A volume data set is also scored whole, in 3-D and in mm: every slice of each volume is
// predicted (not only those with tumour) and the masks are put back on the volume's grid.
void evaluate_whole_volumes(const Options& o, const RunConfig& c, const data::Dataset& ds, const std::string& split,
                            SegNet& net, Device device, const std::string& slice_csv) {
  std::vector<std::string> patients;
  if (split != "all") patients = split == "test" ? c.test_patients : c.train_patients;
  MaskCleanup cleanup;
  cleanup.largest = o.eval.largest;
  cleanup.fill_holes = o.eval.fill_holes;
  const std::vector<VolumeScore> rows = evaluate_volumes(net, ds, patients, c, device, cleanup);
  if (rows.empty()) return;
  std::filesystem::path out(slice_csv);
  out.replace_filename(out.stem().string() + "_volumes" + out.extension().string());
  const std::string text = volume_table_csv(rows);
  write_file_atomic(out.string(), [&](std::ostream& os) { os << text; });
  std::printf("\n%s", volume_table_text(rows).c_str());
  std::printf("fbd eval: %zu whole volumes in 3-D (distances in mm, volumes in ml); table written to %s\n", rows.size(),
              out.string().c_str());
}

void run(const Options& o) {
  const RunConfig c = load_run_config(o.model);
  const std::string data_dir = o.data.empty() ? c.data : o.data;
  const data::Dataset ds = open_dataset(data_dir, c.volume);
  check_dataset_channels(c, ds);
  std::string split = o.split;
  const bool same_data = std::filesystem::equivalent(data_dir, c.data);
  if (split == "auto") split = same_data ? "test" : "all";
  FBD_CHECK(split == "test" || split == "train" || split == "all", "--split must be auto, test, train or all");
  FBD_CHECK(split == "all" || same_data, "--split ", split, " needs the run's own data set (", c.data, ")");
  FBD_CHECK(o.per == "slice" || o.per == "patient", "--per must be slice or patient, got '", o.per, "'");
  check_eval_options(o.eval);
  std::vector<std::string> ids;
  if (split == "all") {
    for (const auto& cs : ds.cases) ids.push_back(cs.id);
  } else {
    ids = case_ids(ds, split == "test" ? c.test_patients : c.train_patients);
  }
  FBD_CHECK(!ids.empty(), "no cases to evaluate in ", data_dir, " (split ", split, ")");
  std::string note;
  const Device device = resolve_device(o.device, &note);
  const auto net = load_trained_net(o.model, c, o.checkpoint, device);
  const std::vector<CaseMetrics> slices =
      evaluate_predictions(predict_slices(*net, load_slices(ds, ids), c, device), o.eval);
  const std::vector<CaseMetrics> cases = o.per == "patient" ? per_patient(slices, ds) : slices;
  const char* unit = o.per == "patient" ? "patient" : "case";

  std::ostringstream csv;
  csv << unit;
  for (Metric m : table2_metrics()) csv << "," << metric_name(m);
  csv << ",hd_one_empty\n";
  std::printf("%-16s", unit);
  for (Metric m : table2_metrics()) std::printf(" %12s", metric_name(m));
  std::printf("\n");
  for (const CaseMetrics& cm : cases) {
    csv << cm.id;
    std::printf("%-16s", cm.id.c_str());
    for (Metric m : table2_metrics()) {
      csv << "," << format_number(cm.m[m], 6);
      std::printf(" %12s", format_number(cm.m[m], 3).c_str());
    }
    csv << "," << (cm.m.hd_one_empty ? 1 : 0) << "\n";
    std::printf("%s\n", !cm.m.hd_one_empty   ? ""
                        : o.per == "patient" ? "  (a slice with one mask empty: its HD is the diagonal)"
                                             : "  (one mask empty: HD = diagonal)");
  }
  std::printf("%-16s", "mean");
  csv << "mean";
  std::string left_out;
  for (Metric m : table2_metrics()) {
    const MetricMean mm = mean_metric(cases, m);
    std::printf(" %12s", format_number(mm.mean, 3).c_str());
    csv << "," << format_number(mm.mean, 6);
    if (mm.left_out > 0) left_out += std::string(" ") + metric_name(m) + ": " + std::to_string(mm.left_out);
  }
  csv << ",\n";
  std::printf("\n");
  if (!left_out.empty()) std::printf("%ss left out of a mean (metric undefined):%s\n", unit, left_out.c_str());
  const std::string out = o.out.empty() ? (std::filesystem::path(o.model) / "eval.csv").string() : o.out;
  const std::string text = csv.str();
  write_file_atomic(out, [&](std::ostream& os) { os << text; });
  std::printf("fbd eval: %zu %ss", cases.size(), unit);
  if (o.per == "patient") std::printf(" of %zu slices pooled", slices.size());
  std::printf(" (%s split, %s checkpoint, %s, field of view: %s%s%s); table written to %s\n", split.c_str(),
              o.checkpoint.c_str(), device.str().c_str(),
              o.eval.fov == "quadrant" ? "the tumour's quadrant" : "the whole slice",
              o.eval.largest ? ", largest component" : "", o.eval.fill_holes ? ", holes filled" : "", out.c_str());
  if (!ds.volumes.empty()) evaluate_whole_volumes(o, c, ds, split, *net, device, out);
}

void register_eval(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("eval",
                                 "Evaluate a trained run: Dice, precision, specificity, IoU, HD, HD95, boundary IoU "
                                 "and Dice per slice or patient");
  cmd->add_option("--model", o->model, "run folder (from fbd train)")->required();
  cmd->add_option("--data", o->data, "data set folder (default: the run's)");
  cmd->add_option("--split", o->split,
                  "auto (the run's held-out patients on its own data, else all), test, train or all")
      ->capture_default_str();
  cmd->add_option("--checkpoint", o->checkpoint, "last or best (best was chosen on the held-out patients)")
      ->capture_default_str();
  cmd->add_option("--per", o->per,
                  "slice, or patient (Table 2: a patient's slices pooled for the overlap scores, distances averaged)")
      ->capture_default_str();
  cmd->add_option("--fov", o->eval.fov,
                  "field of view scored: slice (the whole slice) or quadrant (the tumour's breast quadrant, as the "
                  "paper's figures show it)")
      ->capture_default_str();
  cmd->add_flag("--largest", o->eval.largest, "score only the largest connected component of the prediction");
  cmd->add_flag("--fill-holes", o->eval.fill_holes, "fill holes inside the predicted tumour before scoring");
  cmd->add_option("--out", o->out, "CSV file (default: RUN/eval.csv); a volume data set adds NAME_volumes.csv beside it");
  cmd->add_option("--device", o->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->callback([o] { run(*o); });
}

const CommandRegistrar registrar(51, register_eval);

}  // namespace

}  // namespace fbd::app
