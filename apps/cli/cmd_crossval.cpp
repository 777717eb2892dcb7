// `fbd crossval`: the paper's k-fold cross-validation (Figs. 14-16). For each k of --folds and
// each fold of a patient-level k-fold split, a network is trained from scratch in memory with
// the fold's test patients held out; the per-epoch train and test curves (total loss, mIoU,
// pixel accuracy, Hausdorff distance) are averaged over the folds of each k.
//
// Outputs in RUN/: crossval.json (settings and every fold's patients), crossval.csv (one row
// per k, fold and epoch, rewritten after every fold), summary.csv (per k: final and best test
// metrics, mean and std over folds) and report.html.
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
#include "apps/train/fold_summary.h"
#include "apps/train/held_out.h"
#include "apps/train/progress.h"
#include "apps/train/run_data.h"
#include "apps/train/trainer.h"
#include "core/file_io.h"
#include "data/kfold.h"

namespace fbd::app {

namespace {

struct Options {
  std::shared_ptr<TrainFlags> flags = std::make_shared<TrainFlags>();
  std::string data, folds = "3,6,9", out = "runs/crossval", folds_file, cv_unit = "patient";
};

std::string path_in(const std::string& dir, const char* name) { return (std::filesystem::path(dir) / name).string(); }

// The paper's figure for a k, where it has one.
std::string figure_of(int k) {
  if (k == 3) return " (paper Fig. 14)";
  if (k == 6) return " (paper Fig. 15)";
  if (k == 9) return " (paper Fig. 16)";
  return "";
}

struct KSummary {
  int k = 0;
  // final = the last epoch; best = the best epoch of each fold for that metric (max, HD min)
  MeanStd final_dice, final_miou, final_pa, final_hd, best_dice, best_miou, best_pa, best_hd;
  MeanStd final_boundary_dice, final_quadrant_dice, final_quadrant_specificity;
  double seconds = 0;
};

KSummary summarise(int k, const std::vector<const FoldRun*>& runs) {
  KSummary s;
  s.k = k;
  std::vector<double> fd, fm, fp, fh, bd, bm, bp, bh;
  for (const FoldRun* r : runs) {
    const EpochRecord& last = r->history.back();
    fd.push_back(last.test_dice), fm.push_back(last.test_miou), fp.push_back(last.test_accuracy);
    fh.push_back(last.test_hd);
    double d = NAN, m = NAN, p = NAN, h = NAN;
    for (const EpochRecord& e : r->history) {
      if (std::isfinite(e.test_dice)) d = std::isnan(d) ? e.test_dice : std::max(d, e.test_dice);
      if (std::isfinite(e.test_miou)) m = std::isnan(m) ? e.test_miou : std::max(m, e.test_miou);
      if (std::isfinite(e.test_accuracy)) p = std::isnan(p) ? e.test_accuracy : std::max(p, e.test_accuracy);
      if (std::isfinite(e.test_hd)) h = std::isnan(h) ? e.test_hd : std::min(h, e.test_hd);
    }
    bd.push_back(d), bm.push_back(m), bp.push_back(p), bh.push_back(h);
    s.seconds += r->seconds;
  }
  s.final_dice = mean_std(fd), s.final_miou = mean_std(fm), s.final_pa = mean_std(fp), s.final_hd = mean_std(fh);
  s.best_dice = mean_std(bd), s.best_miou = mean_std(bm), s.best_pa = mean_std(bp), s.best_hd = mean_std(bh);
  std::vector<double> fb, fqd, fqs;
  for (const FoldRun* r : runs)
    fb.push_back(r->final_scores.boundary_dice), fqd.push_back(r->final_quadrant.dice),
        fqs.push_back(r->final_quadrant.specificity);
  s.final_boundary_dice = mean_std(fb), s.final_quadrant_dice = mean_std(fqd),
  s.final_quadrant_specificity = mean_std(fqs);
  return s;
}

std::string summary_csv(const std::vector<KSummary>& sums) {
  std::ostringstream os;
  os << "k,seconds";
  for (const char* what : {"final", "best"})
    for (const char* m : {"dice", "miou", "pixel_accuracy", "hd"})
      os << "," << what << "_" << m << "_mean," << what << "_" << m << "_std";
  for (const char* m : {"boundary_dice", "quadrant_dice", "quadrant_specificity"})
    os << ",final_" << m << "_mean,final_" << m << "_std";
  os << "\n";
  for (const KSummary& s : sums) {
    os << s.k << "," << format_number(s.seconds, 1);
    for (const MeanStd* m :
         {&s.final_dice, &s.final_miou, &s.final_pa, &s.final_hd, &s.best_dice, &s.best_miou, &s.best_pa, &s.best_hd,
          &s.final_boundary_dice, &s.final_quadrant_dice, &s.final_quadrant_specificity})
      os << "," << (m->n ? format_number(m->mean, 6) : "nan") << "," << (m->n ? format_number(m->std, 6) : "nan");
    os << "\n";
  }
  return os.str();
}

Series series(const std::string& label, const std::vector<EpochRecord>& curve, double EpochRecord::*field,
              bool dashed) {
  Series s;
  s.label = label;
  s.dashed = dashed;
  for (const EpochRecord& r : curve) s.x.push_back(r.epoch), s.y.push_back(r.*field);
  return s;
}

void write_report(const std::string& out, const RunConfig& c, const std::vector<int>& ks,
                  const std::vector<FoldRun>& runs, const std::vector<KSummary>& sums, size_t patients,
                  const std::string& device, const std::string& unit) {
  Report rep("fbd crossval: " + c.net.net + " with the " + c.loss.name + " loss");
  std::ostringstream p;
  p << (unit == "image" ? "Image-level (slices dealt into folds, so a patient's slices are on both sides: optimistic)"
                        : "Patient-level")
    << " k-fold cross-validation on " << c.data << " (" << patients << " patients), k = ";
  for (size_t i = 0; i < ks.size(); ++i) p << (i ? ", " : "") << ks[i];
  p << ". Each fold trains " << c.net.net << " (width " << c.net.width << ") from scratch for " << c.epochs
    << " epochs at " << c.size << "x" << c.size << ", batch " << c.batch << ", seed " << c.seed << ", on " << device
    << ", with the fold's test patients held out. Curves are the mean over the folds of each k: train solid, "
       "test dashed.";
  rep.paragraph(p.str());
  rep.paragraph(
      "How the curves are measured: train values are the running means over the epoch's augmented training "
      "batches (tumour quadrants resized to the network input); test values come after the epoch, on the held-out "
      "patients' whole slices at full resolution (test loss on their tumour quadrants). Hausdorff distances are "
      "therefore in pixels of different images (the network input for train, the full slice for test) and are "
      "compared within a curve, not between train and test. A slice where exactly one of prediction and truth is "
      "empty has the image diagonal as its Hausdorff distance, which is why early test curves start high.");

  Table t;
  t.caption = "Held-out (test) metrics per k: mean ± std over the folds";
  t.columns = {"k",         "final Dice", "final mIoU",      "final pixel acc.", "final HD (px)",
               "best Dice", "best mIoU",  "best pixel acc.", "best HD (px)",     "training time"};
  for (const KSummary& s : sums) {
    t.rows.push_back({std::to_string(s.k), format_mean_std(s.final_dice), format_mean_std(s.final_miou),
                      format_mean_std(s.final_pa), format_mean_std(s.final_hd, 1), format_mean_std(s.best_dice),
                      format_mean_std(s.best_miou), format_mean_std(s.best_pa), format_mean_std(s.best_hd, 1),
                      Progress::format_duration(s.seconds)});
  }
  rep.table(t);
  rep.paragraph("final: the last epoch; best: each fold's best epoch for that metric (highest, lowest for HD).");
  Table tb;
  tb.caption =
      "The last epoch's held-out boundary Dice (whole slices) and the tumour quadrant's Dice and specificity "
      "(the paper's field of view): mean ± std over the folds";
  tb.columns = {"k", "final boundary Dice", "final quadrant Dice", "final quadrant specificity"};
  for (const KSummary& s : sums)
    tb.rows.push_back({std::to_string(s.k), format_mean_std(s.final_boundary_dice),
                       format_mean_std(s.final_quadrant_dice), format_mean_std(s.final_quadrant_specificity)});
  rep.table(tb);

  for (int k : ks) {
    std::vector<std::vector<EpochRecord>> hist;
    for (const FoldRun& r : runs)
      if (r.k == k) hist.push_back(r.history);
    const std::vector<EpochRecord> m = mean_curves(hist);
    rep.heading(std::to_string(k) + "-fold cross-validation" + figure_of(k) + ": mean of " + std::to_string(k) +
                " folds");
    // Four narrow charts, so that one k is one row (as the paper's figures).
    const std::vector<Chart> charts = {
        {"(a) total loss",
         "epoch",
         "loss",
         {series("train loss", m, &EpochRecord::train_loss, false),
          series("test loss", m, &EpochRecord::test_loss, true)}},
        {"(b) mIoU",
         "epoch",
         "mIoU",
         {series("train mIoU", m, &EpochRecord::train_miou, false),
          series("test mIoU", m, &EpochRecord::test_miou, true)}},
        {"(c) pixel accuracy",
         "epoch",
         "pixel accuracy",
         {series("train PA", m, &EpochRecord::train_accuracy, false),
          series("test PA", m, &EpochRecord::test_accuracy, true)}},
        {"(d) Hausdorff distance",
         "epoch",
         "HD (pixels)",
         {series("train HD", m, &EpochRecord::train_hd, false), series("test HD", m, &EpochRecord::test_hd, true)}}};
    std::vector<std::string> svgs;
    for (const Chart& ch : charts) svgs.push_back(render_svg(ch, 280, 240));
    rep.figures(svgs);
  }

  Table folds;
  folds.caption = "Every fold";
  folds.columns = {"k", "fold", "test patients", "final test Dice", "best test Dice", "final test HD", "time"};
  for (const FoldRun& r : runs) {
    std::string tp;
    for (size_t i = 0; i < r.test_patients.size(); ++i) tp += (i ? " " : "") + r.test_patients[i];
    if (unit == "image") tp = std::to_string(r.test_slices) + " slices of " + tp;
    double best = NAN;
    for (const EpochRecord& e : r.history)
      if (std::isfinite(e.test_dice)) best = std::isnan(best) ? e.test_dice : std::max(best, e.test_dice);
    folds.rows.push_back({std::to_string(r.k), std::to_string(r.fold), tp, format_number(r.history.back().test_dice),
                          format_number(best), format_number(r.history.back().test_hd, 1),
                          Progress::format_duration(r.seconds)});
  }
  rep.table(folds);
  rep.write(path_in(out, "report.html"));
}

void run(const Options& o) {
  FBD_CHECK(!o.data.empty(), "--data is required (a data set folder; fbd synth makes one)");
  // Everything is checked before the output folder is created.
  RunConfig base = finish_train_flags(*o.flags);
  base.data = std::filesystem::absolute(o.data).string();
  const data::Dataset ds = open_dataset(base.data, base.volume);
  use_dataset_channels(base, ds);
  const size_t patients = ds.patients().size();
  FBD_CHECK(base.split.empty(), "--split names one train/test split; crossval takes --folds-file");
  const bool paper = base.preset == "paper";
  const std::string unit = paper && !o.flags->cmd->count("--cv-unit") ? "image" : o.cv_unit;
  FBD_CHECK(unit == "patient" || unit == "image", "--cv-unit must be patient or image, got '", unit, "'");
  std::vector<int> ks;
  std::vector<data::KFold> splits;
  if (!o.folds_file.empty()) {
    FBD_CHECK(!o.flags->cmd->count("--folds") && !o.flags->cmd->count("--cv-unit"),
              "--folds-file holds the folds: --folds and --cv-unit do not apply");
    data::KFold kf = data::load_kfold(o.folds_file);
    data::check_kfold_patients(kf, ds, o.folds_file);
    ks.push_back(kf.k);
    splits.push_back(std::move(kf));
  } else {
    ks = unit == "image" ? parse_fold_list(o.folds, ds.cases.size()) : parse_fold_list(o.folds, patients);
    for (int k : ks)
      splits.push_back(unit == "image" ? data::make_image_kfold(ds, k, base.seed) : data::make_kfold(ds, k, base.seed));
  }
  if (unit == "image" && o.folds_file.empty())
    std::fprintf(stderr,
                 "fbd: warning: --cv-unit image deals slices, not patients, into folds: a patient's slices fall on "
                 "both sides of a fold, so held-out scores are optimistic (the paper's protocol)\n");
  std::string note;
  const Device device = resolve_device(base.device, &note);
  if (note.empty()) note = device.str();
  check_new_study_folder(o.out, "--out");

  std::filesystem::create_directories(o.out);
  nlohmann::json j = {{"format", "fbd-crossval-1"},
                      {"config", nlohmann::json::parse(to_json(base))},
                      {"folds", ks},
                      {"cv_unit", unit},
                      {"folds_file", o.folds_file},
                      {"device", device.str()},
                      {"splits", nlohmann::json::array()}};
  for (const data::KFold& kf : splits) {
    nlohmann::json folds = nlohmann::json::array();
    for (const data::Fold& f : kf.folds)
      folds.push_back(unit == "image"
                          ? nlohmann::json{{"train_ids", f.train_ids}, {"test_ids", f.test_ids}}
                          : nlohmann::json{{"train_patients", f.train_patients}, {"test_patients", f.test_patients}});
    j["splits"].push_back({{"k", kf.k}, {"stratified", kf.stratified}, {"folds", folds}});
  }
  const std::string settings = j.dump(2) + "\n";
  write_file_atomic(path_in(o.out, "crossval.json"), [&](std::ostream& os) { os << settings; });

  int total = 0;
  for (int k : ks) total += k;
  std::fprintf(stderr, "fbd crossval: %s; %s with %s loss, %d epochs; k = %s: %d trainings of %zu patients\n",
               note.c_str(), base.net.net.c_str(), base.loss.name.c_str(), base.epochs, o.folds.c_str(), total,
               patients);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<FoldRun> runs;
  int done = 0;
  for (const data::KFold& kf : splits) {
    for (size_t f = 0; f < kf.folds.size(); ++f) {
      RunConfig c = base;
      c.train_patients = kf.folds[f].train_patients;
      c.test_patients = kf.folds[f].test_patients;
      if (unit == "image") c.train_ids = kf.folds[f].train_ids, c.test_ids = kf.folds[f].test_ids;
      std::fprintf(stderr, "fbd crossval: k=%d fold %zu/%d (training %d of %d): %zu training, %zu test patients\n",
                   kf.k, f + 1, kf.k, done + 1, total, c.train_patients.size(), c.test_patients.size());
      const auto f0 = std::chrono::steady_clock::now();
      const ScoredRun sr = train_and_score(ds, c, load_slices(ds, kf.folds[f].test_ids));
      const TrainResult& res = sr.result;
      FoldRun r;
      r.final_scores = sr.scores;
      r.final_quadrant = sr.quadrant_scores;
      r.k = kf.k;
      r.fold = int(f) + 1;
      r.train_patients = c.train_patients;
      r.test_patients = c.test_patients;
      r.test_slices = kf.folds[f].test_ids.size();
      r.history = res.history;
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - f0).count();
      runs.push_back(std::move(r));
      ++done;
      const std::string csv = crossval_csv(runs);
      write_file_atomic(path_in(o.out, "crossval.csv"), [&](std::ostream& os) { os << csv; });
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::fprintf(stderr, "fbd crossval: k=%d fold %zu: final test Dice %.3f, mIoU %.3f, HD %.1f (%s; ETA %s)\n", kf.k,
                   f + 1, runs.back().history.back().test_dice, runs.back().history.back().test_miou,
                   runs.back().history.back().test_hd, Progress::format_duration(runs.back().seconds).c_str(),
                   Progress::format_duration(elapsed / done * (total - done)).c_str());
    }
  }

  std::vector<KSummary> sums;
  for (int k : ks) {
    std::vector<const FoldRun*> of_k;
    for (const FoldRun& r : runs)
      if (r.k == k) of_k.push_back(&r);
    sums.push_back(summarise(k, of_k));
  }
  const std::string sum_csv = summary_csv(sums);
  write_file_atomic(path_in(o.out, "summary.csv"), [&](std::ostream& os) { os << sum_csv; });
  write_report(o.out, base, ks, runs, sums, patients, device.str(), unit);

  std::printf("%-4s %-16s %-16s %-16s %-16s %-16s %8s\n", "k", "final Dice", "final mIoU", "final PA", "final HD",
              "best Dice", "time");
  for (const KSummary& s : sums)
    std::printf("%-4d %-17s %-17s %-17s %-17s %-17s %8s\n", s.k, format_mean_std(s.final_dice).c_str(),
                format_mean_std(s.final_miou).c_str(), format_mean_std(s.final_pa).c_str(),
                format_mean_std(s.final_hd, 1).c_str(), format_mean_std(s.best_dice).c_str(),
                Progress::format_duration(s.seconds).c_str());
  std::printf("(held-out patients; mean ± std over folds)\n");
  std::printf(
      "fbd crossval: %d trainings in %s; %s (crossval.json, crossval.csv, summary.csv, report.html)\n", total,
      Progress::format_duration(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()).c_str(),
      o.out.c_str());
}

void register_crossval(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "crossval", "k-fold cross-validation over patients (or images) with per-epoch curves (paper Figs. 14-16)");
  cmd->add_option("--data", o->data, "data set folder");
  cmd->add_option("--folds", o->folds, "comma-separated k values")->capture_default_str();
  cmd->add_option("--folds-file", o->folds_file,
                  "a k-fold file (fbd check-data --folds-out writes one; JSON {\"k\": K, \"seed\": S, \"folds\": "
                  "[{\"train_patients\": [...], \"test_patients\": [...]}, ...]}) instead of --folds");
  cmd->add_option("--cv-unit", o->cv_unit,
                  "patient: patients dealt into folds; image: slices (the paper's unit, optimistic: a patient's slices "
                  "fall on both sides; the default under --preset paper)")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "output folder (new or empty)")->capture_default_str();
  add_train_flags(cmd, o->flags);
  cmd->callback([o] { run(*o); });
}

const CommandRegistrar registrar(53, register_crossval);

}  // namespace

}  // namespace fbd::app
