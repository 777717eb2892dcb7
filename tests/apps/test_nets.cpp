// The networks of apps/nets/net_registry.h: every row is consistent (a default loss that
// trains, a description, a paper); the Table 3 baselines resunet, denseunet and vnet2d give
// logits at the input size for several sizes and widths, refuse other inputs with one line,
// count the parameters and compute the output of their PyTorch twins on fixed weights
// (tests/reference/make_net_fixtures.py), and can overfit a tiny batch with their own loss;
// `--loss` left out becomes the network's own loss, and `--nets all` every network.
//
// Tolerance of the twin check: |fbd - torch| <= 2e-5 + 1e-4 |torch| per output logit. Both
// sides compute in float32 and differ only in the order of the sums inside the convolutions
// (fbd: im2col + OpenBLAS GEMM; PyTorch: its own CPU kernels) and batch norm; over 15 to 35
// layers of up to 25 x 64 terms per output those rounding differences stay near 1e-6 relative
// (the measured maximum is printed by the test). A wrong layer, a wrong order of the
// concatenated channels or a batch norm in training mode moves the logits by 1e-2 or more.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>

#include "apps/cli/study_options.h"
#include "apps/cli/train_flags.h"
#include "apps/nets/net_registry.h"
#include "apps/nets/pix2pix.h"
#include "apps/train/training_loss.h"
#include "core/npy.h"
#include "layers/checkpoint.h"
#include "optim/optim.h"
#include "tests/apps/disc_batch.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;
using namespace fbd::app;
using test::contains;
using test::error_of;

namespace {

const char* const kBaselines[] = {"resunet", "denseunet", "vnet2d"};

std::shared_ptr<SegNet> build(const std::string& name, int width, uint64_t seed = 1) {
  NetConfig c;
  c.net = name;
  c.width = width;
  Generator gen(seed);
  return make_net(c, gen);
}

// n images of s x s: a bright disc of random centre and radius in noise, its mask and its rim.
void disc_batch(int64_t n, int64_t s, Tensor& image, Tensor& mask, Tensor& edge) {
  const std::vector<float> u = test::random_values(3 * n, 0.0f, 1.0f, 11);
  test::disc_batch(
      n, s,
      [&](int64_t b) {
        return test::Disc{s * (0.3 + 0.4 * u[size_t(3 * b)]), s * (0.3 + 0.4 * u[size_t(3 * b + 1)]),
                          s * (0.12 + 0.12 * u[size_t(3 * b + 2)])};
      },
      12, image, mask, edge);
}

}  // namespace

TEST_CASE("network registry: every row has a description, a paper and a default loss that trains") {
  const std::vector<std::string> losses = training_loss_names();
  for (const NetInfo& n : net_registry()) {
    INFO("network " << n.name);
    CHECK(std::string(n.description).size() > 10);
    CHECK(std::string(n.source).size() > 5);
    CHECK((n.make != nullptr));
    // pix2pix's own loss is the adversarial one (training_loss.h), outside the registry.
    CHECK((std::find(losses.begin(), losses.end(), n.default_loss) != losses.end() ||
           std::string(n.default_loss) == kPix2PixLoss));
  }
  // The losses the papers used (or the nearest fbd has: resunet's paper used MSE).
  const std::map<std::string, std::string> paper_loss = {{"fbdnet", "fbd"},    {"unet", "bce"},
                                                         {"attunet", "dice"},  {"resunet", "dice"},
                                                         {"denseunet", "bce"}, {"vnet2d", "dice"}};
  for (const auto& row : paper_loss) CHECK_MESSAGE(find_net(row.first).default_loss == row.second, row.first);
}

TEST_CASE("resunet, denseunet, vnet2d: logits at the input size for several sizes and widths") {
  const std::pair<int64_t, int64_t> sizes[] = {{16, 16}, {32, 48}, {64, 32}};
  for (const char* name : kBaselines)
    for (int width : {1, 3, 8}) {
      const auto net = build(name, width);
      for (const auto& [h, w] : sizes) {
        const int64_t height = h, breadth = w;
        INFO(name << " width " << width << " input " << height << "x" << breadth);
        const Tensor x = test::random_tensor({2, 1, h, w}, -1, 1, 3);
        const SegOutput out = net->forward_seg(x, true);
        CHECK(out.pred.shape() == Shape{2, 1, h, w});
        REQUIRE(out.sides.size() == 1);
        CHECK(out.sides[0].shape() == out.pred.shape());
        CHECK(!out.edge.defined());
        REQUIRE(out.features.defined());
        CHECK(out.features.size(0) == 2);
        CHECK(out.features.size(2) == h);
        CHECK(out.features.size(3) == w);
        // The projection head takes the features' channels (the shape-aware smoothness term).
        CHECK(net->project(Tensor::zeros({3, out.features.size(1)})).shape() == Shape{3, 16});
        for (float v : out.pred.to_vector()) REQUIRE(std::isfinite(v));
      }
    }
}

TEST_CASE("resunet, denseunet, vnet2d: another input size or channel count is a one-line error") {
  for (const char* name : kBaselines) {
    const auto net = build(name, 2);
    const std::string odd = error_of([&] { net->forward_seg(Tensor::zeros({1, 1, 30, 32})); });
    CHECK_MESSAGE(contains(odd, std::string(name) + ": the input must be [N, 1, H, W] with H and W positive "
                                                    "multiples of 16, got [1, 1, 30, 32]"),
                  odd);
    CHECK(odd.find('\n') == std::string::npos);
    CHECK(contains(error_of([&] {
                     net->forward_seg(Tensor::zeros({1, 3, 32, 32}));
                   }),
                   "the network was built for 1 input channel(s) but the image has 3 ([1, 3, 32, 32])"));
    CHECK(contains(error_of([&] { net->forward_seg(Tensor::zeros({32, 32})); }), "got [32, 32]"));
  }
}

TEST_CASE("every network takes the input channels it was built for (DCE phases, a subtraction image)") {
  for (const std::string& name : net_names()) {
    INFO(name);
    NetConfig c;
    c.net = name;
    c.width = 2;
    c.in_channels = 3;
    Generator gen(1);
    const auto net = make_net(c, gen);
    CHECK(net->in_channels() == 3);
    const Tensor x = test::random_tensor({2, 3, 32, 32}, -1, 1, 5);
    const SegOutput out = net->forward_seg(x, true);
    CHECK(out.pred.shape() == Shape{2, 1, 32, 32});
    for (float v : out.pred.to_vector()) REQUIRE(std::isfinite(v));
    // Each channel reaches the output: changing one changes the logits.
    std::vector<float> moved = x.to_vector();
    for (size_t i = 2 * 32 * 32; i < 3 * 32 * 32; ++i) moved[i] += 1.0f;  // sample 0, channel 2
    const std::vector<float> a = out.pred.to_vector(),
                             b = net->forward_seg(Tensor::from_vector(moved, x.shape())).pred.to_vector();
    CHECK(a != b);
    const std::string e = error_of([&] { net->forward_seg(Tensor::zeros({1, 1, 32, 32})); });
    CHECK(contains(e, name + ": the network was built for 3 input channel(s) but the image has 1"));
    CHECK(e.find('\n') == std::string::npos);
    if (auto* adv = dynamic_cast<AdversarialNet*>(net.get()))  // pix2pix judges the channels and the mask
      CHECK(adv->discriminate(x, Tensor::zeros({2, 1, 32, 32})).size(1) == 1);
  }
  NetConfig c;
  c.in_channels = 0;
  CHECK(contains(error_of([&] { check_net_config(c); }), "input channels must be in [1, 64], got 0"));
}

TEST_CASE("resunet, denseunet, vnet2d: parameters and output on fixed weights match the PyTorch twin") {
  for (const char* name : kBaselines) {
    INFO("network " << name);
    const std::string base = test::fixture(std::string("nets/") + name);
    std::map<std::string, std::string> meta;
    const NamedTensors state = nn::load_safetensors(base + ".safetensors", &meta);
    REQUIRE(meta.count("width"));
    NetConfig c;
    c.net = name;
    c.width = std::stoi(meta.at("width"));
    c.embed_dim = std::stoi(meta.at("embed_dim"));
    Generator gen(1);
    const auto net = make_net(c, gen);
    CHECK(net->num_parameters() == std::stoll(meta.at("parameters")));
    net->load_state_dict(state, base + ".safetensors");  // strict: the same names and shapes, nothing else
    net->eval();
    const Tensor y = net->forward(read_npy(base + ".x.npy"));
    const std::vector<float> expect = read_npy(base + ".y.npy").to_vector(), got = y.to_vector();
    double worst = 0;
    for (size_t i = 0; i < std::min(expect.size(), got.size()); ++i)
      worst = std::max(worst, std::fabs(double(expect[i]) - double(got[i])));
    MESSAGE(name << ": width " << c.width << ", " << net->num_parameters() << " parameters, max |fbd - torch| "
                 << worst);
    test::check_close(expect, got, 2e-5, 1e-4, std::string(name) + " output");
  }
}

TEST_CASE("resunet, denseunet, vnet2d: a tiny batch is overfitted with the network's own loss" *
          doctest::test_suite("heavy")) {
  Tensor image, mask, edge;
  disc_batch(4, 32, image, mask, edge);
  for (const char* name : kBaselines) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto net = build(name, 4);
    LossConfig lc;
    lc.name = find_net(name).default_loss;
    optim::AdamOptions ao;
    ao.lr = 3e-3;
    optim::AdamW opt(net->named_parameters(), ao);
    const Targets targets = prepare_targets(lc, mask, edge);
    constexpr int kSteps = 80;
    float first = 0, last = 0;
    for (int step = 0; step < kSteps; ++step) {
      const Tensor loss = training_loss(lc, *net, net->forward_seg(image), targets);
      opt.zero_grad();
      loss.backward();
      optim::clip_grad_norm_(opt.params(), 5.0);
      opt.step();
      (step == 0 ? first : last) = loss.item();
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    MESSAGE(std::string(name) << " (" << lc.name << " loss): " << first << " -> " << last << " in " << kSteps << " steps, " << s << " s");
    CHECK_MESSAGE(last < 0.3f * first, name << ": loss " << first << " -> " << last);
  }
}

TEST_CASE("--loss left out is the network's own loss, recorded by name; --loss NAME wins") {
  for (const NetInfo& n : net_registry()) {
    TrainFlags f;
    f.c.net.net = n.name;
    const RunConfig c = finish_train_flags(f);
    CHECK(c.loss.name == n.default_loss);
    CHECK(run_config_from_json(to_json(c), "test").loss.name == n.default_loss);  // resume and eval read this
    f.loss = "fbd";
    CHECK(finish_train_flags(f).loss.name == "fbd");
  }
  TrainFlags f;
  f.c.net.net = "vgg";
  CHECK(contains(error_of([&] { finish_train_flags(f); }), "unknown network 'vgg'"));
  f.c.net.net = "unet";
  f.loss = "tversky";
  CHECK(contains(error_of([&] { finish_train_flags(f); }), "unknown loss 'tversky'"));
}

TEST_CASE("--lr left out is the network's own rate (pix2pix's paper's 2e-4), recorded; --lr R wins; R < 0 is refused") {
  for (const NetInfo& n : net_registry()) {
    TrainFlags f;
    f.c.net.net = n.name;
    const RunConfig c = finish_train_flags(f);
    CHECK(c.lr == n.default_lr);
    CHECK(run_config_from_json(to_json(c), "test").lr == n.default_lr);
    f.lr = 5e-4;
    CHECK(finish_train_flags(f).lr == 5e-4);
  }
  CHECK(find_net("pix2pix").default_lr == 2e-4);
  CHECK(find_net("fbdnet").default_lr == 2e-3);
  TrainFlags f;
  f.lr = -1;
  CHECK(contains(error_of([&] { finish_train_flags(f); }), "--lr must be positive, got -1"));
}

TEST_CASE("--nets all is every network of the registry, alone") {
  CHECK(parse_name_list("all", "--nets", net_names()) == net_names());
  CHECK(parse_name_list("all", "--losses", training_loss_names()) == training_loss_names());
  CHECK(contains(error_of([] { parse_name_list("all,unet", "--nets", net_names()); }),
                 "--nets: 'all' means every name and stands alone, got 'all,unet'"));
  CHECK(contains(error_of([] { parse_name_list("unet,alll", "--nets", net_names()); }),
                 "--nets: unknown name 'alll': expected one of fbdnet, unet, attunet"));
  CHECK(contains(error_of([] { parse_name_list("unet,alll", "--nets", net_names()); }), "(or all)"));
}
