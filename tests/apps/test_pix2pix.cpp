// pix2pix (apps/nets/pix2pix.h) and the trainer's GAN step: shapes and parameter counts, the
// forward pass on fixed weights against its PyTorch twin (tests/reference/make_pix2pix_fixtures.py),
// both optimizers stepping, the losses moving as a GAN's do, exact resume, the checkpoint's
// contents and the configuration errors.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <tuple>

#include "apps/nets/net_registry.h"
#include "apps/nets/pix2pix.h"
#include "apps/train/evaluate.h"
#include "apps/train/run_config.h"
#include "apps/train/run_data.h"
#include "apps/train/trainer.h"
#include "core/autograd.h"
#include "core/file_io.h"
#include "core/npy.h"
#include "data/phantom.h"
#include "layers/checkpoint.h"
#include "losses/losses.h"
#include "tests/apps/disc_batch.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;
using namespace fbd::app;
using test::contains;
using test::error_of;

namespace {

std::shared_ptr<AdversarialNet> make_gan(int width, uint64_t seed = 1) {
  NetConfig nc;
  nc.net = "pix2pix";
  nc.width = width;
  Generator gen(seed);
  auto gan = std::dynamic_pointer_cast<AdversarialNet>(make_net(nc, gen));
  REQUIRE(gan);
  return gan;
}

RunConfig gan_config() {
  RunConfig c;
  c.net.net = "pix2pix";
  c.loss.name = kPix2PixLoss;
  c.device = "cpu";
  return c;
}

// Discs in noise: images, 0/1 masks and edges [n, 1, s, s].
void disc_batch(int64_t n, int64_t s, Tensor& image, Tensor& mask, Tensor& edge) {
  test::disc_batch(
      n, s,
      [&](int64_t b) {
        return test::Disc{s * (0.35 + 0.1 * double(b % 3)), s * (0.6 - 0.1 * double(b % 2)), s * (0.12 + 0.03 * b)};
      },
      11, image, mask, edge);
}

// Copies of a module's parameters and buffers (state_dict() hands out live handles).
NamedTensors copy_state(const nn::Module& m) {
  NamedTensors s;
  for (const auto& [name, t] : m.state_dict()) s.emplace_back(name, Tensor::from_vector(t.to_vector(), t.shape()));
  return s;
}

std::map<std::string, std::vector<float>> snapshot(const nn::Module& m) {
  std::map<std::string, std::vector<float>> s;
  for (const auto& [name, t] : m.state_dict()) s[name] = t.to_vector();
  return s;
}

// A tiny phantom (6 patients x 3 slices at 64 px) and a small pix2pix run on the CPU.
struct Tiny {
  test::TempDir dir;
  data::Dataset ds;
  RunConfig c = gan_config();
  Tiny() {
    data::PhantomOptions po;
    po.patients = 6, po.slices = 3, po.size = 64, po.seed = 4, po.threads = 1;
    data::write_phantom(dir.file("data"), po);
    c.data = dir.file("data");
    c.epochs = 3, c.batch = 4, c.size = 32, c.net.width = 4, c.workers = 1, c.lr = 2e-4;
    ds = open_dataset(c.data);
    make_split(ds, c);
  }
};

}  // namespace

TEST_CASE("pix2pix: the generator gives logits at the input size, the discriminator a map of patches") {
  const auto gan = make_gan(4);
  gan->eval();
  NoGradGuard no_grad;
  for (int64_t s : {32, 64, 96}) {
    const Tensor x = test::random_tensor({2, 1, s, s}, -1, 1, 3);
    const SegOutput out = gan->forward_seg(x, true);
    CHECK(out.pred.shape() == Shape{2, 1, s, s});
    REQUIRE(out.sides.size() == 1);
    CHECK(!out.edge.defined());
    CHECK(out.features.shape() == Shape{2, 8, s, s});  // the last decoder features, 2 x width
    // 70x70 PatchGAN: three halvings, then two 4x4 convolutions of stride 1 and padding 1.
    CHECK(gan->discriminate(x, sigmoid(out.pred)).shape() == Shape{2, 1, s / 8 - 2, s / 8 - 2});
  }
  const Tensor small = test::random_tensor({1, 1, 16, 16}, -1, 1, 3);
  CHECK(gan->forward_seg(small).pred.shape() == Shape{1, 1, 16, 16});  // four halvings: 1x1 bottleneck
  CHECK(contains(error_of([&] { gan->discriminate(small, small); }), "at least 32x32"));
  CHECK(contains(error_of([&] { gan->forward_seg(test::random_tensor({1, 1, 40, 40}, -1, 1, 3)); }),
                 "multiples of 16"));
}

TEST_CASE("pix2pix: parameter counts of the generator and the discriminator") {
  // The PyTorch twin's counts (make_pix2pix_fixtures.py), the generator's with its projection
  // head (2 width x 16 + 16): width 4 and the default width 16.
  for (auto [width, g, d] : {std::tuple<int, int64_t, int64_t>{4, 24505, 11509},
                             std::tuple<int, int64_t, int64_t>{16, 386737, 175057}}) {
    const auto gan = make_gan(width);
    const int gan_width = width;
    CAPTURE(gan_width);
    CHECK(gan->generator().num_parameters() == g);
    CHECK(gan->discriminator().num_parameters() == d);
    CHECK(gan->num_parameters() == g + d);  // the module tree is the two networks
  }
}

TEST_CASE("pix2pix: forward on fixed weights matches PyTorch (eval mode; the discriminator also in training mode)") {
  const auto gan = make_gan(4);
  gan->load_state_dict(nn::load_safetensors(test::fixture("pix2pix/weights.safetensors")), "weights.safetensors");
  const Tensor image = read_npy(test::fixture("pix2pix/image.npy")), mask = read_npy(test::fixture("pix2pix/mask.npy"));
  auto golden = [](const char* name) { return read_npy(test::fixture(std::string("pix2pix/") + name)).to_vector(); };
  gan->eval();
  NoGradGuard no_grad;
  const Tensor logits = gan->forward_seg(image).pred;
  test::check_close(golden("logits.npy"), logits.to_vector(), 1e-5, 1e-4, "generator logits");
  test::check_close(golden("d_real.npy"), gan->discriminate(image, mask).to_vector(), 1e-5, 1e-4, "D(image, mask)");
  test::check_close(golden("d_fake.npy"), gan->discriminate(image, sigmoid(logits)).to_vector(), 1e-5, 1e-4,
                    "D(image, sigmoid(G(image)))");
  // The GAN step's held-out loss: BCE of the patches against real + 100 L1.
  const std::unique_ptr<TrainStep> step = make_train_step(*gan, gan_config());
  const double loss = step->held_out_loss(image, prepare_targets(gan_config().loss, mask, Tensor()));
  CHECK(loss == doctest::Approx(golden("held_out_loss.npy")[0]).epsilon(1e-5));
  gan->discriminator().train();  // batch statistics
  test::check_close(golden("d_real_train.npy"), gan->discriminate(image, mask).to_vector(), 1e-5, 1e-4,
                    "D(image, mask) in training mode");
}

TEST_CASE("pix2pix: one GAN step updates both networks with their own optimizers") {
  const auto gan = make_gan(4);
  const std::unique_ptr<TrainStep> step = make_train_step(*gan, gan_config());
  Tensor image, mask, edge;
  disc_batch(4, 32, image, mask, edge);
  const auto before = snapshot(*gan);
  const StepLosses r = step->step(image, mask, edge, 0, 2e-4);
  const auto after = snapshot(*gan);
  CHECK(r.pred.shape() == Shape{4, 1, 32, 32});
  CHECK(std::isfinite(r.d_loss));
  CHECK(r.loss == doctest::Approx(r.g_adv + 100 * r.g_rec).epsilon(1e-5));
  int g_changed = 0, d_changed = 0;
  for (const auto& [param, v] : before) {
    const std::string& name = param;
    const bool changed = v != after.at(name);
    if (name.rfind("generator.proj.", 0) == 0) {
      CHECK_MESSAGE(!changed, name << ": the projection head has no gradient under the pix2pix loss");
      continue;
    }
    CHECK_MESSAGE(changed, name << " did not change");
    (name.rfind("discriminator.", 0) == 0 ? d_changed : g_changed) += changed;
  }
  CHECK(g_changed > 0);
  CHECK(d_changed > 0);
  // Both optimizers took one step: their state is saved under the network's name.
  int64_t g_steps = -1, d_steps = -1;
  for (const auto& [name, t] : step->state_dict()) {
    if (name == "generator.down1.conv.weight.step") g_steps = int64_t(t.to_vector<int32_t>()[0]);
    if (name == "discriminator.model.0.weight.step") d_steps = int64_t(t.to_vector<int32_t>()[0]);
  }
  CHECK(g_steps == 1);
  CHECK(d_steps == 1);
}

TEST_CASE("pix2pix: the step's losses are the paper's, each discriminator term on its own network state") {
  const auto gan = make_gan(4, 5);
  const std::unique_ptr<TrainStep> step = make_train_step(*gan, gan_config());
  Tensor image, mask, edge;
  disc_batch(3, 32, image, mask, edge);
  const NamedTensors d_before = copy_state(gan->discriminator());
  const StepLosses r = step->step(image, mask, edge, 7, 1e-3);
  // The step's generator output (before the update) fed to the discriminator in training mode
  // (batch statistics, so its running statistics do not matter).
  NoGradGuard no_grad;
  const Tensor fake = sigmoid(r.pred);
  auto bce_to = [](const Tensor& logits, float label) {
    return double(bce_loss(logits, Tensor::full(logits.shape(), label)).item());
  };
  // The generator's adversarial term: the updated discriminator's patches against real.
  CHECK(r.g_adv == doctest::Approx(bce_to(gan->discriminate(image, fake), 1.0f)).epsilon(1e-5));
  CHECK(r.g_rec == doctest::Approx(mean(abs(sub(fake, mask))).item()).epsilon(1e-5));
  // The discriminator's loss: halved, on its weights before the update.
  gan->discriminator().load_state_dict(d_before, "before");
  const double d = 0.5 * (bce_to(gan->discriminate(image, mask), 1.0f) + bce_to(gan->discriminate(image, fake), 0.0f));
  CHECK(r.d_loss == doctest::Approx(d).epsilon(1e-5));
}

TEST_CASE("pix2pix: a registry loss replaces the L1 term") {
  const auto gan = make_gan(4);
  RunConfig c = gan_config();
  c.loss.name = "dice";
  const std::unique_ptr<TrainStep> step = make_train_step(*gan, c);
  Tensor image, mask, edge;
  disc_batch(2, 32, image, mask, edge);
  const StepLosses r = step->step(image, mask, edge, 0, 2e-4);
  NoGradGuard no_grad;
  CHECK(r.g_rec == doctest::Approx(dice_loss(r.pred, mask).item()).epsilon(1e-6));
  CHECK(r.loss == doctest::Approx(r.g_adv + 100 * r.g_rec).epsilon(1e-5));
}

TEST_CASE("pix2pix: on a tiny set the discriminator learns early and the generator's L1 term falls") {
  const auto gan = make_gan(8);
  const std::unique_ptr<TrainStep> step = make_train_step(*gan, gan_config());
  Tensor image, mask, edge;
  disc_batch(4, 32, image, mask, edge);
  std::vector<StepLosses> h;
  for (int64_t s = 0; s < 40; ++s) h.push_back(step->step(image, mask, edge, s, 2e-3));
  // At chance the halved discriminator loss is log 2 (log 4 before halving).
  double best_d = 1e9;
  for (int s = 0; s < 10; ++s) best_d = std::min(best_d, h[size_t(s)].d_loss);
  CHECK(best_d < std::log(2.0));
  CHECK(h.back().g_rec < 0.5 * h.front().g_rec);
  CHECK(h.back().loss < h.front().loss);
  // The generator is pushed towards real: its adversarial term stays finite and positive.
  for (const StepLosses& r : h) CHECK(r.g_adv > 0);
}

TEST_CASE("pix2pix: an interrupted run that is resumed ends exactly where an uninterrupted one does") {
  Tiny t;
  const std::string a = t.dir.file("a"), b = t.dir.file("b");
  std::filesystem::create_directories(a);
  std::filesystem::create_directories(b);
  const TrainResult full = train_network(t.ds, t.c, {a, false, {}});
  struct Stop {};
  TrainOptions stopping{b, false, [](const EpochRecord& r) {
                          if (r.epoch == 1) throw Stop{};
                        }};
  CHECK_THROWS_AS(train_network(t.ds, t.c, stopping), Stop);
  RunConfig other_workers = t.c;
  other_workers.workers = 2;
  const TrainResult resumed = resume_training(t.ds, other_workers, {b, false, {}});
  REQUIRE(resumed.history.size() == full.history.size());
  for (size_t e = 0; e < full.history.size(); ++e) {
    CHECK(resumed.history[e].train_loss == full.history[e].train_loss);
    CHECK(resumed.history[e].train_d_loss == full.history[e].train_d_loss);
    CHECK(resumed.history[e].test_dice == full.history[e].test_dice);
  }
  // Every tensor of the checkpoint: both networks, both optimizers.
  const NamedTensors wa = nn::load_safetensors(a + "/last.safetensors"), wb = nn::load_safetensors(b + "/last.safetensors");
  REQUIRE(wa.size() == wb.size());
  int opt_g = 0, opt_d = 0;
  for (size_t i = 0; i < wa.size(); ++i) {
    CHECK(wa[i].first == wb[i].first);
    opt_g += wa[i].first.rfind("optimizer.generator.", 0) == 0;
    opt_d += wa[i].first.rfind("optimizer.discriminator.", 0) == 0;
    const Tensor& x = wa[i].second;
    const Tensor& y = wb[i].second;
    REQUIRE(x.nbytes() == y.nbytes());
    CHECK_MESSAGE(std::memcmp(x.raw_data(), y.raw_data(), x.nbytes()) == 0, wa[i].first << " differs after resume");
  }
  CHECK(opt_g > 0);
  CHECK(opt_d > 0);
}

TEST_CASE("pix2pix: a run records the GAN's losses, and its checkpoints serve evaluation like any network's") {
  Tiny t;
  t.c.epochs = 2;
  const std::string run = t.dir.file("run");
  std::filesystem::create_directories(run);
  const TrainResult r = train_network(t.ds, t.c, {run, false, {}});
  for (const EpochRecord& e : r.history) {
    CHECK(std::isfinite(e.train_g_adv));
    CHECK(std::isfinite(e.train_g_rec));
    CHECK(std::isfinite(e.train_d_loss));
    CHECK(e.train_loss == doctest::Approx(e.train_g_adv + 100 * e.train_g_rec).epsilon(1e-4));
    CHECK(std::isfinite(e.test_loss));
  }
  const std::vector<char> csv = read_file(run + "/metrics.csv");
  CHECK(contains(std::string(csv.begin(), csv.end()), ",train_g_adv,train_g_rec,train_d_loss\n"));
  std::map<std::string, std::string> meta;
  const NamedTensors best = nn::load_safetensors(run + "/best.safetensors", &meta);
  CHECK(meta.at("fbd_net") == "pix2pix");
  bool has_g = false, has_d = false;
  for (const auto& [name, tensor] : best) {
    has_g |= name.rfind("generator.", 0) == 0;
    has_d |= name.rfind("discriminator.", 0) == 0;
  }
  CHECK(has_g);
  CHECK(has_d);
  const auto net = load_trained_net(run, t.c, "last", Device::cpu());
  CHECK(!net->is_training());
  const std::vector<data::Sample> slices = load_slices(t.ds, case_ids(t.ds, t.c.test_patients));
  const std::vector<SlicePrediction> preds = predict_slices(*net, slices, t.c, Device::cpu());
  REQUIRE(preds.size() == slices.size());
  CHECK(preds[0].prob.same_size(slices[0].image));
  // An ordinary network's run has no GAN losses: NaN.
  RunConfig unet = t.c;
  unet.net.net = "unet";
  unet.loss.name = "dice";
  unet.epochs = 1;
  const TrainResult u = train_network(t.ds, unet, {"", false, {}});
  CHECK(std::isnan(u.history[0].train_d_loss));
  CHECK(std::isnan(u.history[0].train_g_rec));
}

TEST_CASE("pix2pix: the configurations it refuses, with one-line errors") {
  RunConfig c = gan_config();
  c.data = "/x";
  check_run_config(c);
  c.loss.name = "fbd";
  check_run_config(c);  // a registry loss replaces the L1 term
  c.loss.name = "focal-edge";
  CHECK(contains(error_of([&] { check_run_config(c); }), "loss 'focal-edge' cannot train a network"));
  RunConfig unet = gan_config();
  unet.net.net = "unet";
  CHECK(contains(error_of([&] { check_run_config(unet); }), "loss 'pix2pix' trains only --net pix2pix"));
  RunConfig small = gan_config();
  small.size = 16;
  CHECK(contains(error_of([&] { check_run_config(small); }), "pix2pix: --size must be at least 32"));
  // The registry row: its own loss by default, and the GAN step for exactly the adversarial nets.
  CHECK(std::string(find_net("pix2pix").default_loss) == kPix2PixLoss);
  for (const std::string& name : net_names()) {
    NetConfig nc;
    nc.net = name;
    nc.width = 2;
    Generator gen(1);
    const auto net = make_net(nc, gen);
    CHECK_MESSAGE(is_adversarial_net(name) == (dynamic_cast<AdversarialNet*>(net.get()) != nullptr), name);
  }
}
