// `fbd compare`: the paper's loss comparison (Fig. 9: one network trained with each loss) and
// model comparison (Table 3 / Fig. 18: each network trained with one loss) under one protocol:
// one patient split (make_split), the same epochs, seed, input size and width for every run.
//
// The runs: the first network of --nets with every loss of --losses, and every network of
// --nets with the first loss of --losses (by default fbdnet x {fbd, bce-iou, bce-boundary,
// shape-aware} and {fbdnet, unet, attunet} x fbd: six runs, fbdnet/fbd shared; `--nets all` is
// every network of apps/nets/net_registry.h). Every run trains with a loss of --losses, never a
// network's own default loss, so that Table 3 compares the networks under one loss. Each is
// trained in memory and scored on the held-out patients' whole slices with its last epoch's
// weights (no selection on the held-out patients).
//
// Outputs in RUN/: compare.json (settings, split), compare.csv (one row per run),
// compare_curves.csv (per run and epoch) and report.html.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "apps/cli/command_registry.h"
#include "apps/cli/study_options.h"
#include "apps/cli/train_flags.h"
#include "apps/nets/net_registry.h"
#include "apps/report/bar_chart.h"
#include "apps/report/html_report.h"
#include "apps/train/evaluate.h"
#include "apps/train/fold_summary.h"
#include "apps/train/held_out.h"
#include "apps/train/progress.h"
#include "apps/train/run_data.h"
#include "apps/train/trainer.h"
#include "core/file_io.h"

namespace fbd::app {

namespace {

struct Options {
  std::shared_ptr<TrainFlags> flags = std::make_shared<TrainFlags>();
  std::string data, out = "runs/compare", nets = "fbdnet,unet,attunet", losses = "fbd,bce-iou,bce-boundary,shape-aware";
};

std::string path_in(const std::string& dir, const char* name) { return (std::filesystem::path(dir) / name).string(); }

struct RunResult {
  RunConfig c;
  bool in_loss_comparison = false, in_model_comparison = false;
  std::vector<EpochRecord> history;
  HeldOutScores s, q;  // whole slices; the tumour's quadrant
  int64_t parameters = 0;
  double seconds = 0;
  int best_epoch = 0;
  double best_dice = NAN;
  std::string name() const { return c.net.net + " / " + c.loss.name; }
};

const char* const kCsvColumns =
    "net,loss,loss_comparison,model_comparison,dice,precision,sensitivity,specificity,miou,hd95,boundary_iou,"
    "boundary_dice,quadrant_dice,quadrant_precision,quadrant_specificity,parameters,epochs,"
    "seconds,best_epoch,best_test_dice";

std::string compare_csv(const std::vector<RunResult>& runs) {
  std::ostringstream os;
  os << kCsvColumns << "\n";
  for (const RunResult& r : runs) {
    os << r.c.net.net << "," << r.c.loss.name << "," << (r.in_loss_comparison ? 1 : 0) << ","
       << (r.in_model_comparison ? 1 : 0);
    for (double v : {r.s.dice, r.s.precision, r.s.sensitivity, r.s.specificity, r.s.miou, r.s.hd95, r.s.boundary_iou,
                     r.s.boundary_dice, r.q.dice, r.q.precision, r.q.specificity})
      os << "," << (std::isnan(v) ? "nan" : format_number(v, 6));
    os << "," << r.parameters << "," << r.history.size() << "," << format_number(r.seconds, 2) << "," << r.best_epoch
       << "," << (std::isnan(r.best_dice) ? "nan" : format_number(r.best_dice, 6)) << "\n";
  }
  return os.str();
}

std::string curves_csv(const std::vector<RunResult>& runs) {
  std::ostringstream os;
  os << "net,loss";
  for (const std::string& c : metrics_csv_columns()) os << "," << c;
  os << "\n";
  for (const RunResult& r : runs) {
    std::istringstream lines(metrics_csv(r.history));
    std::string line;
    std::getline(lines, line);
    while (std::getline(lines, line)) os << r.c.net.net << "," << r.c.loss.name << "," << line << "\n";
  }
  return os.str();
}

Series curve(const std::string& label, const std::vector<EpochRecord>& h, double EpochRecord::*field) {
  Series s;
  s.label = label;
  for (const EpochRecord& r : h) s.x.push_back(r.epoch), s.y.push_back(r.*field);
  return s;
}

std::vector<std::string> table_row(const RunResult& r) {
  return {r.c.net.net,
          r.c.loss.name,
          format_number(r.s.dice),
          format_number(r.s.precision),
          format_number(r.s.sensitivity),
          format_number(r.s.specificity),
          format_number(r.s.miou),
          format_number(r.s.hd95, 1),
          format_number(r.s.boundary_dice),
          std::to_string(r.parameters),
          Progress::format_duration(r.seconds)};
}

// "0.002", or "0.002 (pix2pix 0.0002)" when the runs' rates differ (each network's own).
std::string lr_text(const std::vector<RunResult>& runs) {
  auto g = [](double v) {
    char b[32];
    std::snprintf(b, sizeof(b), "%g", v);
    return std::string(b);
  };
  std::string other;
  for (const RunResult& r : runs)
    if (r.c.lr != runs.front().c.lr && other.find(r.c.net.net) == std::string::npos)
      other += std::string(other.empty() ? "" : ", ") + r.c.net.net + " " + g(r.c.lr);
  return other.empty() ? g(runs.front().c.lr) : g(runs.front().c.lr) + " (" + other + ")";
}

void write_report(const std::string& out, const RunConfig& base, const std::vector<RunResult>& runs,
                  const std::string& device) {
  Report rep("fbd compare: losses and models under one protocol");
  std::ostringstream p;
  p << "Data " << base.data << ": " << base.train_patients.size() << " training and " << base.test_patients.size()
    << " held-out patients (one split for every run). Every run: " << base.epochs << " epochs at " << base.size << "x"
    << base.size << ", batch " << base.batch << ", width " << base.net.width << ", lr " << lr_text(runs) << ", seed "
    << base.seed << ", on " << device
    << ". Scores are means over the held-out patients' slices, from each run's last epoch (no selection on the "
       "held-out patients); HD95 in pixels of the full slice, where a slice with an empty prediction counts the "
       "image diagonal. One split and one seed per run: differences of a few hundredths can be run-to-run "
       "variation (fbd crossval shows the spread over folds).";
  rep.paragraph(p.str());

  Table t;
  t.caption = "Held-out segmentation (paper Table 3 and Fig. 9)";
  t.columns = {"network", "loss",      "Dice",          "precision",  "sensitivity",  "specificity",
               "mIoU",    "HD95 (px)", "boundary Dice", "parameters", "training time"};
  for (const RunResult& r : runs) t.rows.push_back(table_row(r));
  rep.table(t);
  Table tq;
  tq.caption =
      "The same predictions scored on the tumour's breast quadrant, the field of view of the paper's figures "
      "(fbd eval --fov quadrant): specificity there is comparable with the paper's";
  tq.columns = {"network", "loss", "Dice", "precision", "specificity"};
  for (const RunResult& r : runs)
    tq.rows.push_back({r.c.net.net, r.c.loss.name, format_number(r.q.dice), format_number(r.q.precision),
                       format_number(r.q.specificity)});
  rep.table(tq);

  BarChart bars;
  bars.title = "Dice, precision and specificity of every run (paper Fig. 18)";
  bars.y_label = "held-out score";
  bars.series = {"Dice", "precision", "specificity"};
  for (const RunResult& r : runs) {
    bars.categories.push_back(r.c.net.net + "\n" + r.c.loss.name);
    bars.values.push_back({r.s.dice, r.s.precision, r.s.specificity});
  }
  rep.figures({render_bars_svg(bars, std::max(480, 150 * int(runs.size()) + 60), 300)});

  auto section = [&](const std::string& heading, bool losses, const std::string& note) {
    std::vector<Series> loss, dice;
    for (const RunResult& r : runs) {
      if (losses ? !r.in_loss_comparison : !r.in_model_comparison) continue;
      const std::string label = losses ? r.c.loss.name : r.c.net.net;
      Series l = curve(label, r.history, &EpochRecord::test_loss);
      const double first = l.y.empty() ? NAN : l.y.front();
      for (double& v : l.y) v = first != 0 && std::isfinite(first) ? v / first : NAN;
      loss.push_back(l);
      dice.push_back(curve(label, r.history, &EpochRecord::test_dice));
    }
    if (loss.size() < 2) return;  // nothing to compare
    rep.heading(heading);
    rep.charts({{"validation loss, relative to epoch 1", "epoch", "held-out loss / epoch 1", loss},
                {"validation Dice", "epoch", "held-out Dice", dice}});
    if (!note.empty()) rep.paragraph(note);
  };
  section("Loss comparison on " + runs.front().c.net.net + " (paper Fig. 9)", true,
          "Each run's held-out loss is the loss it was trained with (on the held-out patients' tumour quadrants), "
          "each on its own scale, so the loss curves are drawn relative to their first epoch: compare how fast "
          "they fall, and compare the Dice curves directly.");
  section("Model comparison with the " + runs.front().c.loss.name + " loss (paper Table 3, Fig. 18)", false,
          "Loss curves relative to their first epoch: fbdnet's loss sums its three side outputs and the edge "
          "term, the baselines' their one output, so absolute values differ by construction.");
  rep.write(path_in(out, "report.html"));
}

void run(const Options& o) {
  FBD_CHECK(!o.data.empty(), "--data is required (a data set folder; fbd synth makes one)");
  // Everything is checked before the output folder is created.
  const std::vector<std::string> nets = parse_name_list(o.nets, "--nets", net_names());
  const std::vector<std::string> losses = parse_name_list(o.losses, "--losses", training_loss_names());
  RunConfig base = finish_train_flags(*o.flags);
  base.data = std::filesystem::absolute(o.data).string();
  const data::Dataset ds = open_dataset(base.data, base.volume);
  use_dataset_channels(base, ds);
  make_split(ds, base);
  std::vector<RunResult> runs;
  auto add = [&](const std::string& net, const std::string& loss, bool loss_cmp) {
    for (RunResult& r : runs)
      if (r.c.net.net == net && r.c.loss.name == loss) {
        (loss_cmp ? r.in_loss_comparison : r.in_model_comparison) = true;
        return;
      }
    RunResult r;
    r.c = base;
    r.c.net.net = net;
    r.c.loss.name = loss;
    if (o.flags->lr == 0) r.c.lr = find_net(net).default_lr;  // --lr left out: each network's own
    check_run_config(r.c);
    (loss_cmp ? r.in_loss_comparison : r.in_model_comparison) = true;
    runs.push_back(r);
  };
  for (const std::string& l : losses) add(nets[0], l, true);
  for (const std::string& n : nets) add(n, losses[0], false);
  std::string note;
  const Device device = resolve_device(base.device, &note);
  if (note.empty()) note = device.str();
  check_new_study_folder(o.out, "--out");

  std::filesystem::create_directories(o.out);
  nlohmann::json j = {{"format", "fbd-compare-1"},
                      {"config", nlohmann::json::parse(to_json(base))},
                      {"nets", nets},
                      {"losses", losses},
                      {"device", device.str()},
                      {"runs", nlohmann::json::array()}};
  for (const RunResult& r : runs) j["runs"].push_back({{"net", r.c.net.net}, {"loss", r.c.loss.name}, {"lr", r.c.lr}});
  const std::string settings = j.dump(2) + "\n";
  write_file_atomic(path_in(o.out, "compare.json"), [&](std::ostream& os) { os << settings; });
  std::fprintf(stderr, "fbd compare: %s; %zu runs of %d epochs; %zu training and %zu held-out patients\n", note.c_str(),
               runs.size(), base.epochs, base.train_patients.size(), base.test_patients.size());

  const std::vector<data::Sample> test_slices = load_slices(ds, case_ids(ds, base.test_patients));
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < runs.size(); ++i) {
    RunResult& r = runs[i];
    std::fprintf(stderr, "fbd compare: run %zu/%zu: %s\n", i + 1, runs.size(), r.name().c_str());
    const ScoredRun sr = train_and_score(ds, r.c, test_slices);
    r.seconds = sr.seconds;
    r.history = sr.result.history;
    r.best_epoch = sr.result.best_epoch;
    r.best_dice = sr.result.best_dice;
    r.parameters = sr.result.net->num_parameters();
    r.s = sr.scores;
    r.q = sr.quadrant_scores;
    std::fprintf(stderr, "fbd compare: %s: held-out Dice %.3f, HD95 %.1f (%s)\n", r.name().c_str(), r.s.dice, r.s.hd95,
                 Progress::format_duration(r.seconds).c_str());
    std::vector<RunResult> done(runs.begin(), runs.begin() + int64_t(i) + 1);
    const std::string csv = compare_csv(done), curves = curves_csv(done);
    write_file_atomic(path_in(o.out, "compare.csv"), [&](std::ostream& os) { os << csv; });
    write_file_atomic(path_in(o.out, "compare_curves.csv"), [&](std::ostream& os) { os << curves; });
  }
  write_report(o.out, base, runs, device.str());

  std::printf("%-9s %-13s %7s %9s %11s %11s %7s %9s %10s %10s %9s\n", "network", "loss", "Dice", "precision",
              "sensitivity", "specificity", "mIoU", "HD95(px)", "bnd. Dice", "parameters", "time");
  for (const RunResult& r : runs) {
    const std::vector<std::string> row = table_row(r);
    std::printf("%-9s %-13s %7s %9s %11s %11s %7s %9s %10s %10s %9s\n", row[0].c_str(), row[1].c_str(), row[2].c_str(),
                row[3].c_str(), row[4].c_str(), row[5].c_str(), row[6].c_str(), row[7].c_str(), row[8].c_str(),
                row[9].c_str(), row[10].c_str());
  }
  std::printf("(held-out patients, last epoch)\n");
  std::printf(
      "fbd compare: %zu runs in %s; %s (compare.json, compare.csv, compare_curves.csv, report.html)\n", runs.size(),
      Progress::format_duration(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()).c_str(),
      o.out.c_str());
}

void register_compare(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("compare",
                                 "Loss comparison (Fig. 9) and model comparison (Table 3, Fig. 18) under one protocol");
  cmd->add_option("--data", o->data, "data set folder");
  cmd->add_option("--nets", o->nets, "networks (listed below), or all; the first one runs the loss comparison")
      ->capture_default_str();
  cmd->add_option(
         "--losses", o->losses,
         "losses (" + join_names(training_loss_names()) + "), or all; the first one trains the model comparison")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "output folder (new or empty)")->capture_default_str();
  add_train_flags(cmd, o->flags, false);
  cmd->footer(networks_help());
  cmd->callback([o] { run(*o); });
}

const CommandRegistrar registrar(54, register_compare);

}  // namespace

}  // namespace fbd::app
