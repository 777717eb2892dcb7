// `fbd train`: train a network on a data set into a run folder, or resume one.
#include <cstdio>
#include <filesystem>

#include "apps/cli/command_registry.h"
#include "apps/cli/train_flags.h"
#include "apps/nets/net_registry.h"
#include "apps/report/run_report.h"
#include "apps/train/run_data.h"
#include "apps/train/trainer.h"

namespace fbd::app {

namespace {

struct Options {
  std::shared_ptr<TrainFlags> flags = std::make_shared<TrainFlags>();
  std::string data, out = "runs/train", resume;
};

void print_summary(const TrainResult& r, const std::string& run_dir) {
  const EpochRecord& last = r.history.back();
  std::printf(
      "fbd train: %zu epochs; last epoch: test Dice %.3f, mIoU %.3f, HD %.2f; best test Dice %.3f at epoch %d\n",
      r.history.size(), last.test_dice, last.test_miou, last.test_hd, r.best_dice, r.best_epoch);
  std::printf(
      "fbd train: run folder %s (config.json, metrics.csv, log.txt, last.safetensors, best.safetensors, report.html)\n",
      run_dir.c_str());
}

// The size of the network `n` (built once just to count it).
int64_t parameter_count(const NetConfig& n, uint64_t seed) {
  Generator gen(seed);
  return make_net(n, gen)->num_parameters();
}

void run(const Options& o) {
  if (!o.resume.empty()) {
    RunConfig c = load_run_config(o.resume);
    if (o.flags->c.epochs != RunConfig().epochs) c.epochs = o.flags->c.epochs;  // --epochs extends a run
    const data::Dataset ds = open_dataset(c.data, c.volume);
    TrainOptions to{
        o.resume, true, {}, [&](int done) {
          std::fprintf(stderr, "fbd train: resuming %s (%s, %lld parameters, %s loss) from epoch %d up to epoch %d\n",
                       o.resume.c_str(), c.net.net.c_str(), static_cast<long long>(parameter_count(c.net, c.seed)),
                       c.loss.name.c_str(), done, c.epochs);
        }};
    const TrainResult r = resume_training(ds, c, to);
    write_run_report(o.resume, held_out_report(ds, c, r));
    print_summary(r, o.resume);
    return;
  }
  FBD_CHECK(!o.data.empty(), "--data is required (a data set folder; fbd synth makes one)");
  RunConfig c = finish_train_flags(*o.flags);
  c.data = std::filesystem::absolute(o.data).string();
  // Everything is checked before the run folder is created.
  const data::Dataset ds = open_dataset(c.data, c.volume);
  use_dataset_channels(c, ds);
  make_split(ds, c);
  std::string note;
  resolve_device(c.device, &note);
  FBD_CHECK(!std::filesystem::exists(std::filesystem::path(o.out) / "config.json"), o.out,
            " already holds a run: use --resume ", o.out, " to continue it, or another --out");
  std::filesystem::create_directories(o.out);
  save_run_config(o.out, c);
  // The device note is empty when the device was named outright (--device cpu).
  std::fprintf(stderr, "fbd train: %s%s%s (%lld parameters) with %s loss%s; %zu training and %zu test patients\n",
               note.c_str(), note.empty() ? "" : "; ", c.net.net.c_str(),
               static_cast<long long>(parameter_count(c.net, c.seed)), c.loss.name.c_str(),
               o.flags->loss == "default" ? " (the network's own)" : "", c.train_patients.size(),
               c.test_patients.size());
  const TrainResult r = train_network(ds, c, {o.out, true, {}});
  write_run_report(o.out, held_out_report(ds, c, r));
  print_summary(r, o.out);
}

void register_train(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("train", "Train a segmentation network into a run folder (or resume one)");
  cmd->add_option("--data", o->data, "data set folder");
  cmd->add_option("--out", o->out, "run folder to create")->capture_default_str();
  cmd->add_option("--resume", o->resume, "continue the run in this folder (its config.json; --epochs may extend it)");
  add_train_flags(cmd, o->flags);
  cmd->callback([o] { run(*o); });
}

const CommandRegistrar registrar(50, register_train);

}  // namespace

}  // namespace fbd::app
