// Training runs through the library: exact resume, configuration round trip, the errors a user
// meets, whole-slice prediction.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "apps/nets/net_registry.h"
#include "apps/train/evaluate.h"
#include "apps/train/run_config.h"
#include "apps/train/run_data.h"
#include "apps/train/trainer.h"
#include "core/file_io.h"
#include "data/phantom.h"
#include "layers/checkpoint.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;
using namespace fbd::app;
using test::contains;
using test::error_of;

namespace {

// A tiny phantom (6 patients x 3 slices at 64 px) and a small, fast configuration on the CPU.
struct Tiny {
  test::TempDir dir;
  data::Dataset ds;
  RunConfig c;
  Tiny() {
    data::PhantomOptions po;
    po.patients = 6, po.slices = 3, po.size = 64, po.seed = 4, po.threads = 1;
    data::write_phantom(dir.file("data"), po);
    c.data = dir.file("data");
    c.device = "cpu";
    c.epochs = 4, c.batch = 4, c.size = 32, c.net.width = 4, c.workers = 1;
    ds = open_dataset(c.data);
    make_split(ds, c);
  }
};

NamedTensors weights_of(const std::string& path) { return nn::load_safetensors(path); }

}  // namespace

TEST_CASE("an interrupted run that is resumed ends exactly where an uninterrupted one does") {
  Tiny t;
  t.c.loss.boundary_ramp = 3;  // the ramp follows the epoch, not the process
  const std::string a = t.dir.file("a"), b = t.dir.file("b");
  std::filesystem::create_directories(a);
  std::filesystem::create_directories(b);
  const TrainResult full = train_network(t.ds, t.c, {a, false, {}});
  // Stop the second run after its second epoch, as a crash would.
  struct Stop {};
  TrainOptions stopping{b, false, [](const EpochRecord& r) {
                          if (r.epoch == 2) throw Stop{};
                        }};
  CHECK_THROWS_AS(train_network(t.ds, t.c, stopping), Stop);
  RunConfig other_workers = t.c;
  other_workers.workers = 2;  // the loader's order does not depend on its threads
  const TrainResult resumed = resume_training(t.ds, other_workers, {b, false, {}});
  REQUIRE(resumed.history.size() == full.history.size());
  for (size_t e = 0; e < full.history.size(); ++e) {
    CHECK(resumed.history[e].train_loss == full.history[e].train_loss);
    CHECK(resumed.history[e].test_dice == full.history[e].test_dice);
  }
  const NamedTensors wa = weights_of(a + "/last.safetensors"), wb = weights_of(b + "/last.safetensors");
  REQUIRE(wa.size() == wb.size());
  for (size_t i = 0; i < wa.size(); ++i) {
    CHECK(wa[i].first == wb[i].first);
    const Tensor& x = wa[i].second;
    const Tensor& y = wb[i].second;
    REQUIRE(x.nbytes() == y.nbytes());
    CHECK_MESSAGE(std::memcmp(x.raw_data(), y.raw_data(), x.nbytes()) == 0, wa[i].first << " differs after resume");
  }
  CHECK(contains(error_of([&] { resume_training(t.ds, t.c, {a, false, {}}); }), "already trained for 4 of 4 epochs"));
  // A refused resume changes nothing in the run folder: config.json keeps its epochs.
  save_run_config(a, t.c);
  const std::string config = a + "/config.json";
  const std::vector<char> before = read_file(config);
  RunConfig fewer = t.c;
  fewer.epochs = 3;
  CHECK(contains(error_of([&] { resume_training(t.ds, fewer, {a, false, {}}); }), "already trained for 4 of 3 epochs"));
  CHECK(read_file(config) == before);
  CHECK(load_run_config(a).epochs == 4);
}

TEST_CASE("training lowers the loss, and the run folder holds what it says" * doctest::test_suite("heavy")) {
  Tiny t;
  t.c.epochs = 12;
  t.c.batch = 2;
  t.c.net.width = 8;
  t.c.lr = 5e-3;
  const std::string run = t.dir.file("run");
  std::filesystem::create_directories(run);
  const TrainResult r = train_network(t.ds, t.c, {run, false, {}});
  // The default fbd loss (normalised distances, auxiliary sides at 0.25) falls by about a third
  // here (1.08 to 0.70 when written); the first reading's, with distances in pixels, fell below
  // 0.6 of its first epoch. The Dice check below is the one on the segmentation itself.
  CHECK(r.history.back().train_loss < 0.7 * r.history.front().train_loss);
  CHECK(r.history.back().train_dice > r.history.front().train_dice + 0.15);
  for (const char* f : {"last.safetensors", "best.safetensors", "metrics.csv", "log.txt"})
    CHECK_MESSAGE(std::filesystem::exists(run + "/" + f), f);
  const std::vector<char> csv = read_file(run + "/metrics.csv");
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 13);  // header + 12 epochs
}

TEST_CASE("whole-slice prediction returns full-size probabilities for every slice") {
  Tiny t;
  Generator gen(1);
  const auto net = make_net(t.c.net, gen);
  const std::vector<data::Sample> slices = load_slices(t.ds, case_ids(t.ds, t.c.test_patients));
  const std::vector<SlicePrediction> preds = predict_slices(*net, slices, t.c, Device::cpu());
  REQUIRE(preds.size() == slices.size());
  for (size_t i = 0; i < preds.size(); ++i) {
    CHECK(preds[i].prob.height == slices[i].image.height);
    CHECK(preds[i].prob.width == slices[i].image.width);
    CHECK(preds[i].edge_prob.same_size(preds[i].prob));
    for (float p : preds[i].prob.px) {
      CHECK(p >= 0.0f);
      CHECK(p <= 1.0f);
    }
  }
  CHECK(evaluate_predictions(preds).size() == preds.size());
  CHECK(net->is_training());  // prediction leaves the mode as it found it
}

TEST_CASE("run configurations round-trip and reject bad values with one-line errors") {
  RunConfig c;
  c.data = "/x";
  c.net.net = "attunet";
  c.loss.name = "bce-boundary";
  c.train_patients = {"P1", "P2"};
  c.test_patients = {"P3"};
  const RunConfig back = run_config_from_json(to_json(c), "test");
  CHECK(to_json(back) == to_json(c));
  auto bad = [&](auto mutate) {
    RunConfig d = c;
    mutate(d);
    return error_of([&] { check_run_config(d); });
  };
  CHECK(contains(bad([](RunConfig& d) { d.net.net = "resnet"; }), "unknown network 'resnet'"));
  CHECK(contains(bad([](RunConfig& d) { d.loss.name = "iou"; }), "unknown loss 'iou'"));
  CHECK(contains(bad([](RunConfig& d) { d.size = 50; }), "multiple of 16"));
  CHECK(contains(bad([](RunConfig& d) { d.loss.weights = {1, 2}; }), "three values"));
  CHECK(contains(bad([](RunConfig& d) { d.test_fraction = 1.5; }), "--test-fraction"));
  CHECK(contains(bad([](RunConfig& d) { d.quadrants = false, d.all_quadrants = true; }),
                 "--all-quadrants and --no-quadrants exclude each other"));
  CHECK(
      contains(error_of([] { run_config_from_json("{\"format\": \"other\"}", "x.json"); }), "x.json: not an fbd run"));
  CHECK(contains(error_of([] { run_config_from_json("{oops", "y.json"); }), "y.json: bad run configuration"));
  CHECK(parse_float_list("0.5,0.3,0.2", "--weights") == std::vector<float>{0.5f, 0.3f, 0.2f});
  CHECK(contains(error_of([] { parse_int_list("3,x", "--folds"); }), "--folds: 'x' is not a number"));
}

TEST_CASE("training samples: the tumour quadrants, all four with all_quadrants, or whole slices") {
  Tiny t;
  const std::vector<std::string> ids = case_ids(t.ds, t.c.train_patients);
  const std::vector<data::Sample> tumour = training_samples(t.ds, ids, t.c);
  RunConfig all = t.c;
  all.all_quadrants = true;
  const std::vector<data::Sample> four = training_samples(t.ds, ids, all);
  RunConfig whole = t.c;
  whole.quadrants = false;
  const std::vector<data::Sample> slices = training_samples(t.ds, ids, whole);
  CHECK(four.size() == 4 * slices.size());
  CHECK(!tumour.empty());
  CHECK(tumour.size() < four.size());
  int64_t empty = 0;
  for (const data::Sample& s : four) {
    CHECK(s.image.height == t.c.size);
    bool any = false;
    for (float v : s.mask.px) any = any || v > 0.5f;
    empty += any ? 0 : 1;
  }
  CHECK(empty > 0);  // the tumour-free quadrants are in
  CHECK(run_config_from_json(to_json(all), "all.json").all_quadrants);
}

TEST_CASE("a checkpoint from another network is refused, naming the file") {
  Tiny t;
  t.c.epochs = 1;
  const std::string run = t.dir.file("run");
  std::filesystem::create_directories(run);
  train_network(t.ds, t.c, {run, false, {}});
  RunConfig unet = t.c;
  unet.net.net = "unet";
  const std::string msg = error_of([&] { load_trained_net(run, unet, "last", Device::cpu()); });
  CHECK(contains(msg, "last.safetensors"));
  CHECK(contains(error_of([&] { load_trained_net(run, t.c, "middle", Device::cpu()); }), "last or best"));

  // Training metadata that does not parse: one line naming the checkpoint, the run unchanged.
  const std::string last = run + "/last.safetensors";
  std::vector<char> bytes = read_file(last);
  const std::string good = "\"fbd_epoch\":\"1\"";
  std::string text(bytes.begin(), bytes.end());
  const size_t at = text.find(good);
  REQUIRE(at != std::string::npos);
  text.replace(at, good.size(), "\"fbd_epoch\":\"x\"");
  write_file_atomic(last, [&](std::ostream& os) { os << text; });
  save_run_config(run, t.c);
  const std::vector<char> config = read_file(run + "/config.json");
  RunConfig more = t.c;
  more.epochs = 2;
  const std::string bad = error_of([&] { resume_training(t.ds, more, {run, false, {}}); });
  CHECK(contains(bad, "last.safetensors: corrupt training metadata"));
  CHECK(bad.find('\n') == std::string::npos);
  CHECK(read_file(run + "/config.json") == config);
}

TEST_CASE("an augmentation file whose steps are not a list of objects is an error naming it") {
  test::TempDir dir;
  RunConfig c;
  for (const char* text : {R"({"steps": 5})", R"({"steps": ["rotate"]})", R"({"steps": [{"op": "spin"}]})"}) {
    c.augment = dir.file("aug.json");
    write_file_atomic(c.augment, [&](std::ostream& os) { os << text; });
    const std::string e = error_of([&] { training_pipeline(c); });
    CHECK_MESSAGE(contains(e, c.augment), text << ": " << e);
  }
}
