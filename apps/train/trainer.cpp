#include "apps/train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "apps/nets/net_registry.h"
#include "apps/train/evaluate.h"
#include "apps/train/progress.h"
#include "apps/train/run_data.h"
#include "apps/train/training_loss.h"
#include "core/autograd.h"
#include "core/file_io.h"
#include "data/loader.h"
#include "losses/metrics.h"
#include "optim/optim.h"

namespace fbd::app {

namespace {

constexpr double kClipNorm = 5.0;

std::string path_in(const std::string& dir, const std::string& name) {
  return (std::filesystem::path(dir) / name).string();
}

// Sums for per-image metric means over an epoch (NaN images left out).
struct MetricSums {
  double sum[4] = {0, 0, 0, 0};
  int64_t count[4] = {0, 0, 0, 0};
  void add(const ImageMetrics& m) {
    const Metric which[4] = {Metric::Dice, Metric::MIoU, Metric::Accuracy, Metric::HD};
    for (int k = 0; k < 4; ++k)
      if (!std::isnan(m[which[k]])) sum[k] += m[which[k]], ++count[k];
  }
  double mean(int k) const { return count[k] > 0 ? sum[k] / double(count[k]) : NAN; }
};

struct Session {
  const data::Dataset& ds;
  const RunConfig& c;
  const TrainOptions& o;
  Device device;
  std::shared_ptr<SegNet> net;
  std::unique_ptr<optim::AdamW> opt;
  std::unique_ptr<data::DataLoader> train_loader, test_loader;
  std::vector<data::Sample> test_slices;
  std::vector<std::pair<Tensor, Targets>> test_batches;  // held-out crops and their targets
  std::vector<EpochRecord> history;
  int best_epoch = 0;
  double best_dice = -1;

  Session(const data::Dataset& d, const RunConfig& cfg, const TrainOptions& opts) : ds(d), c(cfg), o(opts) {
    device = resolve_device(c.device);
    Generator gen(c.seed);
    net = make_net(c.net, gen);
    net->to(device);
    optim::AdamOptions ao;
    ao.lr = c.lr;
    ao.weight_decay = c.weight_decay;
    opt = std::make_unique<optim::AdamW>(net->named_parameters(), ao);

    const std::vector<std::string> train_ids = case_ids(ds, c.train_patients), test_ids = case_ids(ds, c.test_patients);
    FBD_CHECK(!train_ids.empty(), "no training cases: the split's training patients have no slices");
    data::LoaderOptions lo;
    lo.batch_size = c.batch;
    lo.workers = c.workers;
    lo.prefetch = 2;
    lo.seed = c.seed;
    lo.device = device;
    train_loader = std::make_unique<data::DataLoader>(
        std::make_shared<data::MemorySource>(training_samples(ds, train_ids, c)), training_pipeline(c), lo);
    if (!test_ids.empty()) {
      RunConfig plain = c;
      plain.augment = "none";
      lo.shuffle = false;
      lo.workers = 0;
      test_loader = std::make_unique<data::DataLoader>(
          std::make_shared<data::MemorySource>(training_samples(ds, test_ids, c)), training_pipeline(plain), lo);
      test_slices = load_slices(ds, test_ids);
    }
  }

  int64_t steps_per_epoch() const { return train_loader->batches_per_epoch(); }

  void save(int epoch, bool best) {
    if (o.run_dir.empty()) return;
    nlohmann::json hist = nlohmann::json::array();
    for (const EpochRecord& r : history) hist.push_back(epoch_record_json(r));
    const std::map<std::string, std::string> meta = {{"fbd_epoch", std::to_string(epoch)},
                                                     {"fbd_history", hist.dump()},
                                                     {"fbd_best_epoch", std::to_string(best_epoch)},
                                                     {"fbd_net", c.net.net}};
    nn::save_checkpoint(path_in(o.run_dir, "last.safetensors"), *net, opt->state_dict(), meta);
    if (best) nn::save_checkpoint(path_in(o.run_dir, "best.safetensors"), *net, {}, meta);
    const std::string csv = metrics_csv(history);
    write_file_atomic(path_in(o.run_dir, "metrics.csv"), [&](std::ostream& os) { os << csv; });
  }

  void log(const std::string& line) {
    if (o.run_dir.empty()) return;
    std::ofstream(path_in(o.run_dir, "log.txt"), std::ios::app) << line << "\n";
  }

  EpochRecord run_epoch(int epoch) {  // epoch is 0-based here
    const auto t0 = std::chrono::steady_clock::now();
    // One epoch of warm-up (none for a one-epoch run), then the cosine decay to 1% of the peak.
    const optim::CosineWarmupLR schedule(c.lr, c.epochs > 1 ? steps_per_epoch() : 0, steps_per_epoch() * c.epochs,
                                         c.lr * 0.01);
    net->train();
    train_loader->start_epoch(epoch);
    data::Batch batch;
    double loss_sum = 0;
    int64_t images = 0, step = int64_t(epoch) * steps_per_epoch();
    MetricSums train_m;
    Progress bar("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(c.epochs), steps_per_epoch(), "batch");
    int64_t b = 0;
    while (train_loader->next(batch)) {
      schedule.apply(*opt, step++);
      const SegOutput out = net->forward_seg(batch.image, loss_needs_features(c.loss));
      const Tensor loss = training_loss(c.loss, *net, out, prepare_targets(c.loss, batch.mask, batch.edge));
      opt->zero_grad();
      loss.backward();
      const double norm = optim::clip_grad_norm_(opt->params(), kClipNorm);
      if (std::isfinite(norm)) opt->step();  // a non-finite gradient skips the step
      const float l = loss.item();
      FBD_CHECK(std::isfinite(l), "training diverged: the loss is ", l, " at epoch ", epoch + 1,
                " (try a smaller --lr)");
      const int64_t n = batch.image.size(0);
      loss_sum += double(l) * double(n);
      images += n;
      {
        NoGradGuard no_grad;
        const MetricsReport r = compute_metrics(sigmoid(out.pred), batch.mask);
        for (const ImageMetrics& m : r.images) train_m.add(m);
      }
      if (o.progress) {
        char msg[64];
        std::snprintf(msg, sizeof(msg), "loss %.4f", loss_sum / double(images));
        bar.update(++b, msg);
      }
    }
    EpochRecord r;
    r.epoch = epoch + 1;
    r.lr = opt->lr();
    r.train_loss = loss_sum / double(std::max<int64_t>(images, 1));
    r.train_dice = train_m.mean(0), r.train_miou = train_m.mean(1), r.train_accuracy = train_m.mean(2);
    r.train_hd = train_m.mean(3);
    r.test_loss = r.test_dice = r.test_miou = r.test_accuracy = r.test_hd = NAN;
    if (test_loader) {
      net->eval();
      NoGradGuard no_grad;
      // The held-out crops are not augmented: their batches and targets are made once.
      if (test_batches.empty()) {
        test_loader->start_epoch(0);
        data::Batch tb;
        while (test_loader->next(tb)) test_batches.push_back({tb.image, prepare_targets(c.loss, tb.mask, tb.edge)});
      }
      double tl = 0;
      int64_t tn = 0;
      for (const auto& [image, targets] : test_batches) {
        const SegOutput out = net->forward_seg(image, loss_needs_features(c.loss));
        const int64_t n = image.size(0);
        tl += double(training_loss(c.loss, *net, out, targets).item()) * double(n);
        tn += n;
      }
      r.test_loss = tl / double(std::max<int64_t>(tn, 1));
      const std::vector<CaseMetrics> cm = evaluate_predictions(predict_slices(*net, test_slices, c, device));
      r.test_dice = mean_metric(cm, Metric::Dice).mean;
      r.test_miou = mean_metric(cm, Metric::MIoU).mean;
      r.test_accuracy = mean_metric(cm, Metric::Accuracy).mean;
      r.test_hd = mean_metric(cm, Metric::HD).mean;
      net->train();
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    char msg[200];
    std::snprintf(msg, sizeof(msg), "loss %.4f  train Dice %.3f  test loss %.4f  test Dice %.3f  mIoU %.3f  HD %.1f",
                  r.train_loss, r.train_dice, r.test_loss, r.test_dice, r.test_miou, r.test_hd);
    if (o.progress) bar.finish(msg);
    log("epoch " + std::to_string(r.epoch) + ": " + msg);
    return r;
  }

  TrainResult run(int start_epoch) {
    for (int e = start_epoch; e < c.epochs; ++e) {
      const EpochRecord r = run_epoch(e);
      history.push_back(r);
      const double score = std::isnan(r.test_dice) ? r.train_dice : r.test_dice;
      const bool best = score > best_dice;
      if (best) best_dice = score, best_epoch = r.epoch;
      save(r.epoch, best);
      if (o.on_epoch) o.on_epoch(r);
    }
    TrainResult res;
    res.net = net;
    res.history = history;
    res.best_epoch = best_epoch;
    res.best_dice = best_dice;
    res.device = device;
    return res;
  }
};

}  // namespace

TrainResult train_network(const data::Dataset& ds, const RunConfig& c, const TrainOptions& o) {
  Session s(ds, c, o);
  return s.run(0);
}

TrainResult resume_training(const data::Dataset& ds, const RunConfig& c, const TrainOptions& o) {
  FBD_CHECK(!o.run_dir.empty(), "resume needs a run folder");
  Session s(ds, c, o);
  const std::string last = path_in(o.run_dir, "last.safetensors");
  FBD_CHECK(std::filesystem::exists(last), o.run_dir, ": nothing to resume (no last.safetensors)");
  std::map<std::string, std::string> meta;
  const NamedTensors opt_state = nn::load_checkpoint(last, *s.net, &meta);
  s.opt->load_state_dict(opt_state, last);
  FBD_CHECK(meta.count("fbd_epoch") && meta.count("fbd_history"), last, ": not an fbd training checkpoint");
  const int done = std::stoi(meta.at("fbd_epoch"));
  for (const auto& j : nlohmann::json::parse(meta.at("fbd_history"))) s.history.push_back(epoch_record_from_json(j));
  s.best_epoch = std::stoi(meta.at("fbd_best_epoch"));
  for (const EpochRecord& r : s.history)
    if (r.epoch == s.best_epoch) s.best_dice = std::isnan(r.test_dice) ? r.train_dice : r.test_dice;
  FBD_CHECK(done < c.epochs, o.run_dir, ": already trained for ", done, " of ", c.epochs,
            " epochs (pass a larger --epochs to continue)");
  return s.run(done);
}

std::shared_ptr<SegNet> load_trained_net(const std::string& run_dir, const RunConfig& c, const std::string& which,
                                         Device device) {
  FBD_CHECK(which == "last" || which == "best", "--checkpoint must be last or best, got '", which, "'");
  const std::string path = path_in(run_dir, which + ".safetensors");
  FBD_CHECK(std::filesystem::exists(path), run_dir, ": no ", which, ".safetensors (has the run finished an epoch?)");
  Generator gen(c.seed);
  std::shared_ptr<SegNet> net = make_net(c.net, gen);
  std::map<std::string, std::string> meta;
  nn::load_checkpoint(path, *net, &meta);
  FBD_CHECK(!meta.count("fbd_net") || meta.at("fbd_net") == c.net.net, path, ": a checkpoint of network '",
            meta.at("fbd_net"), "', but the run's config says '", c.net.net, "'");
  net->to(device);
  net->eval();
  return net;
}

}  // namespace fbd::app
