// `fbd check-data DIR`: list every problem of a data set and summarise it; optionally write a
// patient-level k-fold split of it.
#include <cstdio>
#include <memory>

#include "apps/cli/command_registry.h"
#include "core/error.h"
#include "data/dataset.h"
#include "data/kfold.h"

namespace fbd::app {

namespace {

struct CheckOptions {
  std::string dir;
  bool quiet = false;
  int folds = 0;
  uint64_t seed = 1;
  std::string folds_out;
  std::string slice_axis = "auto";
  int mask_label = 0;
  std::string channels = "all";
};

void run_check(const CheckOptions& opt) {
  data::VolumeOptions vo;
  vo.slice_axis = data::parse_slice_axis(opt.slice_axis);
  vo.mask_label = opt.mask_label;
  vo.channels = opt.channels;
  const data::Dataset ds = data::scan_dataset(opt.dir, vo);
  const data::CheckReport rep = data::check_dataset(ds);
  if (!rep.volumes.empty()) std::printf("%s\n", rep.volume_table().c_str());
  if (!opt.quiet && !rep.cases.empty()) std::printf("%s\n", rep.case_table().c_str());
  for (const data::Problem& p : rep.problems) std::printf("%s\n", p.str().c_str());
  if (!rep.problems.empty()) std::printf("\n");
  std::printf("%s", rep.summary(ds).c_str());
  FBD_CHECK(rep.errors() == 0, opt.dir, ": ", rep.errors(), " problem(s) found (listed above)",
            opt.folds > 0 ? "; no k-fold split written" : "");
  if (opt.folds > 0) {
    FBD_CHECK(!opt.folds_out.empty(), "check-data: --folds needs --folds-out FILE.json");
    const data::KFold kf = data::make_kfold(ds, opt.folds, opt.seed);
    data::save_kfold(opt.folds_out, kf);
    std::printf("k-fold: %d patient-level folds (%s) written to %s; test patients per fold:", kf.k,
                kf.stratified ? "stratified by label" : "no labels", opt.folds_out.c_str());
    for (const data::Fold& f : kf.folds) std::printf(" %zu", f.test_patients.size());
    std::printf("\n");
  }
}

void register_check(CLI::App& app) {
  auto opt = std::make_shared<CheckOptions>();
  auto* cmd = app.add_subcommand("check-data", "Validate a data set folder: list its problems and summarise it");
  cmd->add_option("DIR", opt->dir, "data set folder (manifest.csv, images/ + masks/, NAME.png + NAME_mask.png, or nnU-Net raw)")
      ->required();
  cmd->add_flag("--quiet", opt->quiet, "do not print the per-case table");
  cmd->add_option("--slice-axis", opt->slice_axis, "volumes: i, j, k or auto (the axis of largest spacing)")
      ->capture_default_str();
  cmd->add_option("--mask-label", opt->mask_label, "volumes: 0 = masks of 0 and 1; K = label K is the tumour")
      ->capture_default_str();
  cmd->add_option("--channels", opt->channels,
                  "volumes: input channels, all or a list such as 0,1-0 (1-0: channel 1 minus 0)")
      ->capture_default_str();
  cmd->add_option("--folds", opt->folds, "also write a patient-level k-fold split with this k (0: none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--seed", opt->seed, "seed of the k-fold shuffle")->capture_default_str();
  cmd->add_option("--folds-out", opt->folds_out, "where to write the k-fold JSON");
  cmd->callback([opt] { run_check(*opt); });
}

const CommandRegistrar registrar(31, register_check);
}  // namespace

}  // namespace fbd::app
