// `fbd ablate`: the paper's two ablations of its own method, each variant trained in memory
// under one patient split (make_split, as fbd train and fbd compare) with the same flags, and
// scored on the held-out patients' whole slices from its last epoch:
//   --study loss-weights (Fig. 1): fbdnet with the fbd loss under the paper's weights
//     (Dice 0.5, focal 0.3, boundary 0.2) and with each term dominant (0.8 for it, 0.1 for the
//     other two): which term the segmentation follows;
//   --study bam-stage (Fig. 3): fbdnet without the boundary attention module (no edge head and
//     no edge loss: the baseline), with it fed by stage 1 and by stage 2 (the paper's choice),
//     the loss and weights as given.
//
// Outputs in OUT/: ablate.json (settings, split, variants), ablate.csv (one row per variant),
// report.html (the table, Dice/precision/specificity bars as the paper's Fig. 3, held-out Dice
// curves).
#include <algorithm>
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
#include "apps/train/held_out.h"
#include "apps/train/progress.h"
#include "apps/train/run_data.h"
#include "core/file_io.h"

namespace fbd::app {

namespace {

struct Options {
  std::shared_ptr<TrainFlags> flags = std::make_shared<TrainFlags>();
  std::string data, study, out = "runs/ablate";
};

struct Variant {
  std::string name, setting, label;  // "Dice-dominant", "weights 0.8,0.1,0.1", "0.8/0.1/0.1" (charts)
  RunConfig c;
  ScoredRun run;
};

std::string weights_text(const std::vector<float>& w) {
  std::ostringstream os;
  for (size_t i = 0; i < w.size(); ++i) os << (i ? "," : "") << w[i];
  return os.str();
}

// The variants of a study, each a full configuration (checked).
std::vector<Variant> variants_of(const std::string& study, const RunConfig& base, const TrainFlags& f) {
  std::vector<Variant> v;
  auto add = [&](const std::string& name, const std::string& setting, const std::string& label, RunConfig c) {
    check_run_config(c);
    v.push_back({name, setting, label, c, {}});
  };
  if (study == "loss-weights") {
    FBD_CHECK(!flag_given(f, "--weights"),
              "--study loss-weights sets the weights of each variant: --weights does not apply");
    const std::vector<std::pair<std::string, std::vector<float>>> w = {{"paper (0.5/0.3/0.2)", {0.5f, 0.3f, 0.2f}},
                                                                       {"Dice-dominant", {0.8f, 0.1f, 0.1f}},
                                                                       {"focal-dominant", {0.1f, 0.8f, 0.1f}},
                                                                       {"boundary-dominant", {0.1f, 0.1f, 0.8f}}};
    for (const auto& [name, weights] : w) {
      RunConfig c = base;
      c.loss.weights = weights;
      std::string label = weights_text(weights);
      std::replace(label.begin(), label.end(), ',', '/');
      add(name, "weights " + weights_text(weights), label, c);
    }
  } else if (study == "bam-stage") {
    FBD_CHECK(!flag_given(f, "--bam-stage"),
              "--study bam-stage trains no module, stage 1 and stage 2: --bam-stage does not apply");
    // Stage 0 (no module, no edge head, no edge loss) is the baseline the module is measured against.
    for (int stage : {0, 1, 2}) {
      RunConfig c = base;
      c.net.bam_stage = stage;
      const std::string s = std::to_string(stage);
      add(boundary_attention_text(stage) + (stage == 2 ? " (paper)" : ""), "--bam-stage " + s,
          stage == 0 ? "none" : "stage " + s, c);
    }
  } else {
    FBD_FAIL("--study must be loss-weights (paper Fig. 1) or bam-stage (paper Fig. 3), got '", study, "'");
  }
  return v;
}

const char* const kCsvColumns =
    "variant,setting,dice,precision,sensitivity,specificity,miou,hd95,boundary_iou,boundary_dice,parameters,epochs,"
    "seconds";

std::string ablate_csv(const std::vector<Variant>& vs) {
  std::ostringstream os;
  os << kCsvColumns << "\n";
  for (const Variant& v : vs) {
    const HeldOutScores& s = v.run.scores;
    os << "\"" << v.name << "\",\"" << v.setting << "\"";
    for (double x :
         {s.dice, s.precision, s.sensitivity, s.specificity, s.miou, s.hd95, s.boundary_iou, s.boundary_dice})
      os << "," << (std::isnan(x) ? "nan" : format_number(x, 6));
    os << "," << (v.run.result.net ? v.run.result.net->num_parameters() : 0) << "," << v.run.result.history.size()
       << "," << format_number(v.run.seconds, 2) << "\n";
  }
  return os.str();
}

std::vector<std::string> row_of(const Variant& v) {
  const HeldOutScores& s = v.run.scores;
  return {v.name,
          v.setting,
          format_number(s.dice),
          format_number(s.precision),
          format_number(s.sensitivity),
          format_number(s.specificity),
          format_number(s.hd95, 1),
          format_number(s.boundary_dice),
          Progress::format_duration(v.run.seconds)};
}

void write_report(const std::string& out, const std::string& study, const RunConfig& base,
                  const std::vector<Variant>& vs, const std::string& device) {
  const bool weights = study == "loss-weights";
  Report rep(std::string("fbd ablate: ") + (weights
                                                ? "which loss term dominates (paper Fig. 1)"
                                                : "boundary attention: none, on stage 1, on stage 2 (paper Fig. 3)"));
  std::ostringstream p;
  p << "Data " << base.data << ": " << base.train_patients.size() << " training and " << base.test_patients.size()
    << " held-out patients (one split for every variant). Every variant: " << base.net.net << " (width "
    << base.net.width << "), the " << base.loss.name << " loss, " << base.epochs << " epochs at " << base.size << "x"
    << base.size << ", batch " << base.batch << ", seed " << base.seed << ", on " << device
    << ". Scores are means over the held-out patients' whole slices from each variant's last epoch. One split and "
       "one seed: differences of a few hundredths can be run-to-run variation.";
  rep.paragraph(p.str());
  Table t;
  t.caption = "Held-out segmentation of every variant";
  t.columns = {"variant",     "setting",   "Dice",          "precision",    "sensitivity",
               "specificity", "HD95 (px)", "boundary Dice", "training time"};
  for (const Variant& v : vs) t.rows.push_back(row_of(v));
  rep.table(t);
  BarChart bars;
  bars.title = "Dice, precision and specificity of every variant";
  bars.y_label = "held-out score";
  bars.series = {"Dice", "precision", "specificity"};
  for (const Variant& v : vs) {
    bars.categories.push_back(v.label);
    bars.values.push_back({v.run.scores.dice, v.run.scores.precision, v.run.scores.specificity});
  }
  rep.figures({render_bars_svg(bars, std::max(480, 160 * int(vs.size()) + 60), 300)});
  std::vector<Series> dice;
  for (const Variant& v : vs) {
    Series s;
    s.label = v.label;
    for (const EpochRecord& r : v.run.result.history) s.x.push_back(r.epoch), s.y.push_back(r.test_dice);
    dice.push_back(s);
  }
  rep.charts({{"validation Dice", "epoch", "held-out Dice", dice}});
  rep.write((std::filesystem::path(out) / "report.html").string());
}

void run(const Options& o) {
  FBD_CHECK(!o.data.empty(), "--data is required (a data set folder; fbd synth makes one)");
  FBD_CHECK(!o.study.empty(), "--study is required: loss-weights (paper Fig. 1) or bam-stage (paper Fig. 3)");
  // Everything is checked before the output folder is created.
  TrainFlags f = *o.flags;
  f.c.net.net = "fbdnet";  // the paper's ablations are of its own network and loss
  f.loss = "fbd";
  RunConfig base = finish_train_flags(f);
  base.data = std::filesystem::absolute(o.data).string();
  std::vector<Variant> vs = variants_of(o.study, base, f);
  const data::Dataset ds = open_dataset(base.data, base.volume);
  make_split(ds, base);
  for (Variant& v : vs) {
    v.c.train_patients = base.train_patients, v.c.test_patients = base.test_patients;
    use_dataset_channels(v.c, ds);
  }
  std::string note;
  const Device device = resolve_device(base.device, &note);
  if (note.empty()) note = device.str();
  check_new_study_folder(o.out, "--out");

  std::filesystem::create_directories(o.out);
  nlohmann::json j = {{"format", "fbd-ablate-1"},
                      {"study", o.study},
                      {"config", nlohmann::json::parse(to_json(base))},
                      {"device", device.str()},
                      {"variants", nlohmann::json::array()}};
  for (const Variant& v : vs)
    j["variants"].push_back(
        {{"name", v.name}, {"setting", v.setting}, {"weights", v.c.loss.weights}, {"bam_stage", v.c.net.bam_stage}});
  const std::string settings = j.dump(2) + "\n";
  write_file_atomic((std::filesystem::path(o.out) / "ablate.json").string(), [&](std::ostream& os) { os << settings; });
  std::fprintf(stderr, "fbd ablate: %s; %s: %zu variants of %d epochs; %zu training and %zu held-out patients\n",
               note.c_str(), o.study.c_str(), vs.size(), base.epochs, base.train_patients.size(),
               base.test_patients.size());

  const std::vector<data::Sample> test_slices = load_slices(ds, case_ids(ds, base.test_patients));
  for (size_t i = 0; i < vs.size(); ++i) {
    std::fprintf(stderr, "fbd ablate: variant %zu/%zu: %s (%s)\n", i + 1, vs.size(), vs[i].name.c_str(),
                 vs[i].setting.c_str());
    vs[i].run = train_and_score(ds, vs[i].c, test_slices);
    std::fprintf(stderr, "fbd ablate: %s: held-out Dice %.3f, precision %.3f, specificity %.3f\n", vs[i].name.c_str(),
                 vs[i].run.scores.dice, vs[i].run.scores.precision, vs[i].run.scores.specificity);
    const std::vector<Variant> done(vs.begin(), vs.begin() + int64_t(i) + 1);
    const std::string csv = ablate_csv(done);
    write_file_atomic((std::filesystem::path(o.out) / "ablate.csv").string(), [&](std::ostream& os) { os << csv; });
  }
  write_report(o.out, o.study, base, vs, device.str());

  std::printf("%-40s %-22s %7s %9s %11s %11s %9s %9s %9s\n", "variant", "setting", "Dice", "precision", "sensitivity",
              "specificity", "HD95(px)", "bnd.Dice", "time");
  for (const Variant& v : vs) {
    const std::vector<std::string> r = row_of(v);
    std::printf("%-40s %-22s %7s %9s %11s %11s %9s %9s %9s\n", r[0].c_str(), r[1].c_str(), r[2].c_str(), r[3].c_str(),
                r[4].c_str(), r[5].c_str(), r[6].c_str(), r[7].c_str(), r[8].c_str());
  }
  std::printf("(held-out patients, last epoch)\nfbd ablate: %s (ablate.json, ablate.csv, report.html)\n",
              o.out.c_str());
}

void register_ablate(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "ablate",
      "The paper's ablations of fbdnet: which loss term dominates (Fig. 1), boundary attention stage (Fig. 3)");
  cmd->add_option("--data", o->data, "data set folder");
  cmd->add_option("--study", o->study,
                  "loss-weights (Fig. 1: the paper's 0.5/0.3/0.2 and each term dominant at 0.8) or bam-stage (Fig. "
                  "3: no boundary attention, on stage 1, on stage 2)");
  cmd->add_option("--out", o->out, "output folder (new or empty)")->capture_default_str();
  add_train_flags(cmd, o->flags, false);
  cmd->callback([o] { run(*o); });
}

const CommandRegistrar registrar(56, register_ablate);

}  // namespace

}  // namespace fbd::app
