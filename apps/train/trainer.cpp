#include "apps/train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "apps/nets/net_registry.h"
#include "apps/nets/pix2pix.h"
#include "apps/train/evaluate.h"
#include "apps/train/progress.h"
#include "apps/train/run_data.h"
#include "apps/train/training_loss.h"
#include "core/autograd.h"
#include "core/file_io.h"
#include "data/loader.h"
#include "data/random.h"
#include "losses/losses.h"
#include "losses/metrics.h"
#include "optim/optim.h"

namespace fbd::app {

namespace {

constexpr double kClipNorm = 5.0;

// One AdamW step on the run's training loss, clipped at norm 5; a non-finite gradient skips it.
class SupervisedStep : public TrainStep {
 public:
  SupervisedStep(SegNet& net, const RunConfig& c) : TrainStep(c.loss), net_(net) {
    optim::AdamOptions ao;
    ao.lr = c.lr;
    ao.weight_decay = c.weight_decay;
    opt_ = std::make_unique<optim::AdamW>(net.named_parameters(), ao);
  }

  StepLosses step(const Tensor& image, const Tensor& mask, const Tensor& edge, int64_t, double lr) override {
    opt_->set_lr(lr);
    const SegOutput out = net_.forward_seg(image, loss_needs_features(run_loss()));
    const Tensor loss = training_loss(run_loss(), net_, out, prepare_targets(run_loss(), mask, edge));
    opt_->zero_grad();
    loss.backward();
    const double norm = optim::clip_grad_norm_(opt_->params(), kClipNorm);
    if (std::isfinite(norm)) opt_->step();  // a non-finite gradient skips the step
    StepLosses r;
    r.pred = out.pred;
    r.loss = loss.item();
    return r;
  }

  double held_out_loss(const Tensor& image, const Targets& t) override {
    const SegOutput out = net_.forward_seg(image, loss_needs_features(run_loss()));
    return training_loss(run_loss(), net_, out, t).item();
  }

  double lr() const override { return opt_->lr(); }
  NamedTensors state_dict() const override { return opt_->state_dict(); }
  void load_state_dict(const NamedTensors& state, const std::string& source) override {
    opt_->load_state_dict(state, source);
  }

 private:
  SegNet& net_;
  std::unique_ptr<optim::AdamW> opt_;
};

// Turns the gradients of a module's parameters off for a scope (the discriminator during the
// generator's step), and back on at its end.
class FrozenParameters {
 public:
  explicit FrozenParameters(const nn::Module& m) : params_(m.parameters()) {
    for (Tensor& p : params_) p.requires_grad_(false);
  }
  ~FrozenParameters() {
    for (Tensor& p : params_) p.requires_grad_(true);
  }
  FrozenParameters(const FrozenParameters&) = delete;
  FrozenParameters& operator=(const FrozenParameters&) = delete;

 private:
  std::vector<Tensor> params_;
};

// The GAN step of pix2pix (trainer.h): a discriminator step, then a generator step, each with
// its own Adam (beta1 0.5, beta2 0.999, no weight decay, no clipping).
class GanStep : public TrainStep {
 public:
  GanStep(AdversarialNet& net, const RunConfig& c) : TrainStep(c.loss), net_(net), seed_(c.seed) {
    optim::AdamOptions ao;
    ao.lr = c.lr;
    ao.beta1 = 0.5;
    ao.beta2 = 0.999;
    g_ = std::make_unique<optim::Adam>(net.generator().named_parameters(), ao);
    d_ = std::make_unique<optim::Adam>(net.discriminator().named_parameters(), ao);
  }

  StepLosses step(const Tensor& image, const Tensor& mask, const Tensor& edge, int64_t step, double lr) override {
    g_->set_lr(lr);
    d_->set_lr(lr);
    net_.reseed_noise(data::derive_key(seed_, uint64_t(step), kNoiseStream));
    const SegOutput out = net_.forward_seg(image, loss_needs_features(run_loss()));
    const Tensor fake = sigmoid(out.pred);

    // 1. The discriminator: true pairs are real, generated ones fake (the generator held fixed).
    const Tensor fake_logits = net_.discriminate(image, fake.detach());
    const Tensor real_logits = net_.discriminate(image, mask);
    const Tensor d_loss = mul_scalar(
        add(bce_loss(fake_logits, label(fake_logits, 0.0f)), bce_loss(real_logits, label(real_logits, 1.0f))), 0.5f);
    d_->zero_grad();
    d_loss.backward();
    if (std::isfinite(grad_norm(*d_))) d_->step();

    // 2. The generator: its pairs should pass the updated discriminator as real, and its
    // probabilities stay close to the mask.
    Tensor adv, rec, g_loss;
    {
      const FrozenParameters frozen(net_.discriminator());
      const Tensor judged = net_.discriminate(image, fake);
      adv = bce_loss(judged, label(judged, 1.0f));
      rec = training_loss(run_loss(), net_, out, prepare_targets(run_loss(), mask, edge));
      g_loss = add(adv, mul_scalar(rec, kPix2PixLambda));
      g_->zero_grad();
      g_loss.backward();
    }
    if (std::isfinite(grad_norm(*g_))) g_->step();

    StepLosses r;
    r.pred = out.pred;
    r.loss = g_loss.item();
    r.g_adv = adv.item();
    r.g_rec = rec.item();
    r.d_loss = d_loss.item();
    return r;
  }

  double held_out_loss(const Tensor& image, const Targets& t) override {
    const SegOutput out = net_.forward_seg(image, loss_needs_features(run_loss()));
    const Tensor judged = net_.discriminate(image, sigmoid(out.pred));
    const Tensor adv = bce_loss(judged, label(judged, 1.0f));
    return adv.item() + double(kPix2PixLambda) * training_loss(run_loss(), net_, out, t).item();
  }

  double lr() const override { return g_->lr(); }

  NamedTensors state_dict() const override {
    NamedTensors s;
    for (const auto& [name, t] : g_->state_dict()) s.emplace_back("generator." + name, t);
    for (const auto& [name, t] : d_->state_dict()) s.emplace_back("discriminator." + name, t);
    return s;
  }

  void load_state_dict(const NamedTensors& state, const std::string& source) override {
    NamedTensors g, d;
    for (const auto& [name, t] : state) {
      if (name.rfind("generator.", 0) == 0)
        g.emplace_back(name.substr(10), t);
      else if (name.rfind("discriminator.", 0) == 0)
        d.emplace_back(name.substr(14), t);
      else
        FBD_FAIL(source, ": optimizer state '", name, "' belongs to neither the generator nor the discriminator");
    }
    g_->load_state_dict(g, source);
    d_->load_state_dict(d, source);
  }

 private:
  static constexpr uint64_t kNoiseStream = 0xD80Bull;  // the dropout stream's tag in derive_key

  // An all-real (1) or all-fake (0) target of the discriminator's patch map.
  static Tensor label(const Tensor& like, float value) { return Tensor::full(like.shape(), value, like.device()); }
  // The global gradient norm of an optimizer's parameters (NaN or inf when a gradient holds one).
  static double grad_norm(const optim::Optimizer& opt) {
    return optim::clip_grad_norm_(opt.params(), std::numeric_limits<double>::max());
  }

  AdversarialNet& net_;
  const uint64_t seed_;
  std::unique_ptr<optim::Adam> g_, d_;
};

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
  std::unique_ptr<TrainStep> stepper;
  std::unique_ptr<data::DataLoader> train_loader, test_loader;
  std::vector<data::Sample> test_slices;
  std::vector<std::pair<Tensor, Targets>> test_batches;  // held-out crops and their targets
  std::vector<EpochRecord> history;
  int best_epoch = 0;
  double best_dice = -1;

  Session(const data::Dataset& d, const RunConfig& cfg, const TrainOptions& opts) : ds(d), c(cfg), o(opts) {
    device = resolve_device(c.device);
    check_dataset_channels(c, ds);
    Generator gen(c.seed);
    net = make_net(c.net, gen);
    net->to(device);
    stepper = make_train_step(*net, c);

    const std::vector<std::string> train_ids = c.train_ids.empty() ? case_ids(ds, c.train_patients) : c.train_ids,
                                   test_ids = c.test_ids.empty() ? case_ids(ds, c.test_patients) : c.test_ids;
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
    nn::save_checkpoint(path_in(o.run_dir, "last.safetensors"), *net, stepper->state_dict(), meta);
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
    stepper->begin_epoch(epoch + 1);
    train_loader->start_epoch(epoch);
    data::Batch batch;
    double loss_sum = 0, adv_sum = 0, rec_sum = 0, d_sum = 0;
    int64_t images = 0, step = int64_t(epoch) * steps_per_epoch();
    MetricSums train_m;
    Progress bar("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(c.epochs), steps_per_epoch(), "batch");
    int64_t b = 0;
    while (train_loader->next(batch)) {
      const StepLosses sl = stepper->step(batch.image, batch.mask, batch.edge, step, schedule.lr_at(step));
      ++step;
      const float l = float(sl.loss);
      FBD_CHECK(std::isfinite(l), "training diverged: the loss is ", l, " at epoch ", epoch + 1,
                " (try a smaller --lr)");
      const int64_t n = batch.image.size(0);
      loss_sum += double(l) * double(n);
      adv_sum += sl.g_adv * double(n), rec_sum += sl.g_rec * double(n), d_sum += sl.d_loss * double(n);
      images += n;
      {
        NoGradGuard no_grad;
        const MetricsReport r = compute_metrics(sigmoid(sl.pred), batch.mask);
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
    r.lr = stepper->lr();
    const double per_image = 1.0 / double(std::max<int64_t>(images, 1));
    r.train_loss = loss_sum * per_image;
    r.train_g_adv = adv_sum * per_image, r.train_g_rec = rec_sum * per_image, r.train_d_loss = d_sum * per_image;
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
        const int64_t n = image.size(0);
        tl += stepper->held_out_loss(image, targets) * double(n);
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
    char msg[300];
    int len = std::snprintf(msg, sizeof(msg),
                            "loss %.4f  train Dice %.3f  test loss %.4f  test Dice %.3f  mIoU %.3f  HD %.1f",
                            r.train_loss, r.train_dice, r.test_loss, r.test_dice, r.test_miou, r.test_hd);
    if (!std::isnan(r.train_d_loss))
      std::snprintf(msg + len, sizeof(msg) - size_t(len), "  G adv %.4f  G rec %.4f  D %.4f", r.train_g_adv,
                    r.train_g_rec, r.train_d_loss);
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

std::unique_ptr<TrainStep> make_train_step(SegNet& net, const RunConfig& c) {
  if (auto* gan = dynamic_cast<AdversarialNet*>(&net)) return std::make_unique<GanStep>(*gan, c);
  return std::make_unique<SupervisedStep>(net, c);
}

TrainResult train_network(const data::Dataset& ds, const RunConfig& c, const TrainOptions& o) {
  Session s(ds, c, o);
  if (o.on_start) o.on_start(0);
  return s.run(0);
}

TrainResult resume_training(const data::Dataset& ds, const RunConfig& c, const TrainOptions& o) {
  FBD_CHECK(!o.run_dir.empty(), "resume needs a run folder");
  Session s(ds, c, o);
  const std::string last = path_in(o.run_dir, "last.safetensors");
  FBD_CHECK(std::filesystem::exists(last), o.run_dir, ": nothing to resume (no last.safetensors)");
  std::map<std::string, std::string> meta;
  const NamedTensors opt_state = nn::load_checkpoint(last, *s.net, &meta);
  s.stepper->load_state_dict(opt_state, last);
  FBD_CHECK(meta.count("fbd_epoch") && meta.count("fbd_history") && meta.count("fbd_best_epoch"), last,
            ": not an fbd training checkpoint (no fbd_epoch, fbd_history or fbd_best_epoch in its metadata)");
  int done = 0;
  try {
    done = std::stoi(meta.at("fbd_epoch"));
    for (const auto& j : nlohmann::json::parse(meta.at("fbd_history"))) s.history.push_back(epoch_record_from_json(j));
    s.best_epoch = std::stoi(meta.at("fbd_best_epoch"));
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    FBD_FAIL(last, ": corrupt training metadata (", e.what(), ")");
  }
  for (const EpochRecord& r : s.history)
    if (r.epoch == s.best_epoch) s.best_dice = std::isnan(r.test_dice) ? r.train_dice : r.test_dice;
  FBD_CHECK(done < c.epochs, o.run_dir, ": already trained for ", done, " of ", c.epochs,
            " epochs (pass a larger --epochs to continue)");
  // Only now, with the checkpoint read and the epochs checked, does the run folder change: a
  // refused resume leaves config.json as it was.
  save_run_config(o.run_dir, c);
  if (o.on_start) o.on_start(done);
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
