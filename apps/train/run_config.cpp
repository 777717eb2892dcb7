#include "apps/train/run_config.h"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <type_traits>

#include "apps/nets/net_registry.h"
#include "core/file_io.h"
#include "data/channels.h"

namespace fbd::app {

using nlohmann::json;

void check_run_config(const RunConfig& c) {
  check_net_config(c.net);
  check_loss_config(c.loss);
  FBD_CHECK(c.epochs >= 1 && c.epochs <= 100000, "--epochs must be at least 1, got ", c.epochs);
  FBD_CHECK(c.batch >= 1 && c.batch <= 4096, "--batch must be at least 1, got ", c.batch);
  FBD_CHECK(c.size >= 16 && c.size % 16 == 0 && c.size <= 4096,
            "--size must be a multiple of 16 (the networks halve it four times), got ", c.size);
  FBD_CHECK(c.lr > 0 && std::isfinite(c.lr), "--lr must be positive, got ", c.lr);
  FBD_CHECK(c.weight_decay >= 0 && std::isfinite(c.weight_decay), "--weight-decay must be non-negative, got ",
            c.weight_decay);
  FBD_CHECK(c.workers >= 0 && c.workers <= 64, "--workers must be in [0, 64]");
  FBD_CHECK(c.test_fraction > 0 && c.test_fraction < 1, "--test-fraction must be in (0, 1), got ", c.test_fraction);
  FBD_CHECK(c.quadrants || !c.all_quadrants, "--all-quadrants and --no-quadrants exclude each other");
  FBD_CHECK(c.volume.mask_label >= 0, "--mask-label must be 0 (masks of 0 and 1) or a positive label, got ",
            c.volume.mask_label);
  data::parse_channels(c.volume.channels);  // a one-line error for a bad spec
  FBD_CHECK(c.preset.empty() || c.preset == "paper", "--preset must be paper, got '", c.preset, "'");
  check_loss_for_net(c.loss, c.net, c.size);
}

std::string to_json(const RunConfig& c) {
  json j;
  j["format"] = "fbd-run-1";
  j["data"] = c.data;
  j["net"] = {{"net", c.net.net},
              {"width", c.net.width},
              {"blocks", c.net.blocks},
              {"bam_stage", c.net.bam_stage},
              {"fusion", c.net.fusion},
              {"head", c.net.head},
              {"top_down", c.net.top_down},
              {"decoder", c.net.decoder},
              {"downsample", c.net.downsample},
              {"block", c.net.block},
              {"upsample", c.net.upsample},
              {"stem", c.net.stem},
              {"stage5_width", c.net.stage5_width},
              {"embed_dim", c.net.embed_dim},
              {"in_channels", c.net.in_channels}};
  j["loss"] = {{"name", c.loss.name},
               {"weights", c.loss.weights},
               {"beta", c.loss.beta},
               {"eta", c.loss.eta},
               {"alpha", c.loss.alpha},
               {"gamma", c.loss.gamma},
               {"boundary_ramp", c.loss.boundary_ramp},
               {"distance", c.loss.distance},
               {"side_weight", c.loss.side_weight}};
  j["epochs"] = c.epochs;
  j["batch"] = c.batch;
  j["size"] = c.size;
  j["lr"] = c.lr;
  j["weight_decay"] = c.weight_decay;
  j["seed"] = c.seed;
  j["device"] = c.device;
  j["quadrants"] = c.quadrants;
  j["all_quadrants"] = c.all_quadrants;
  j["augment"] = c.augment;
  j["workers"] = c.workers;
  j["test_fraction"] = c.test_fraction;
  j["split"] = c.split;
  j["preset"] = c.preset;
  j["slice_axis"] = data::slice_axis_name(c.volume.slice_axis);
  j["mask_label"] = c.volume.mask_label;
  j["channels"] = c.volume.channels;
  j["train_patients"] = c.train_patients;
  j["test_patients"] = c.test_patients;
  return j.dump(2) + "\n";
}

RunConfig run_config_from_json(const std::string& text, const std::string& source) {
  RunConfig c;
  try {
    const json j = json::parse(text);
    FBD_CHECK(j.value("format", "") == "fbd-run-1", source, ": not an fbd run configuration (format '",
              j.value("format", ""), "')");
    c.data = j.at("data").get<std::string>();
    const json& n = j.at("net");
    c.net.net = n.at("net").get<std::string>();
    c.net.width = n.at("width").get<int>();
    c.net.blocks = n.at("blocks").get<int>();
    c.net.bam_stage = n.at("bam_stage").get<int>();
    c.net.fusion = n.at("fusion").get<std::string>();
    c.net.head = n.value("head", "half");  // runs from before the layer-1 head had the half-resolution one
    c.net.top_down = n.value("top_down", 3);
    // A skeleton setting a run does not record is the first reading's: the run is from before
    // that setting existed.
    const NetConfig first = fbdnet_first_reading();
    c.net.decoder = n.value("decoder", first.decoder);
    c.net.downsample = n.value("downsample", first.downsample);
    c.net.block = n.value("block", first.block);
    c.net.upsample = n.value("upsample", first.upsample);
    c.net.stem = n.value("stem", first.stem);
    c.net.stage5_width = n.value("stage5_width", first.stage5_width);
    c.net.embed_dim = n.at("embed_dim").get<int>();
    c.net.in_channels = n.value("in_channels", 1);  // runs from before multi-channel input had one
    const json& l = j.at("loss");
    c.loss.name = l.at("name").get<std::string>();
    c.loss.weights = l.at("weights").get<std::vector<float>>();
    c.loss.beta = l.at("beta").get<float>();
    c.loss.eta = l.at("eta").get<float>();
    c.loss.alpha = l.value("alpha", 0.25f);  // runs from before these settings had these values
    c.loss.gamma = l.value("gamma", 2.0f);
    c.loss.boundary_ramp = l.value("boundary_ramp", 0);
    c.loss.distance = l.value("distance", "pixels");
    c.loss.side_weight = l.value("side_weight", 1.0f);
    c.epochs = j.at("epochs").get<int>();
    c.batch = j.at("batch").get<int>();
    c.size = j.at("size").get<int>();
    c.lr = j.at("lr").get<double>();
    c.weight_decay = j.at("weight_decay").get<double>();
    c.seed = j.at("seed").get<uint64_t>();
    c.device = j.at("device").get<std::string>();
    c.quadrants = j.at("quadrants").get<bool>();
    c.all_quadrants = j.value("all_quadrants", false);
    c.augment = j.at("augment").get<std::string>();
    c.workers = j.at("workers").get<int>();
    c.test_fraction = j.at("test_fraction").get<double>();
    c.split = j.value("split", "");  // runs before the split files and presets have neither
    c.preset = j.value("preset", "");
    // Runs from before volume data sets have neither: the defaults are what they trained with.
    c.volume.slice_axis = data::parse_slice_axis(j.value("slice_axis", "auto"));
    c.volume.mask_label = j.value("mask_label", 0);
    c.volume.channels = j.value("channels", "0");  // and read the first channel only
    c.train_patients = j.at("train_patients").get<std::vector<std::string>>();
    c.test_patients = j.at("test_patients").get<std::vector<std::string>>();
  } catch (const json::exception& e) {
    FBD_FAIL(source, ": bad run configuration (", e.what(), ")");
  }
  check_run_config(c);
  return c;
}

RunConfig load_run_config(const std::string& run_dir) {
  const std::string path = (std::filesystem::path(run_dir) / "config.json").string();
  FBD_CHECK(std::filesystem::is_directory(run_dir), run_dir, ": no such run folder");
  FBD_CHECK(std::filesystem::exists(path), run_dir, ": not a run folder (no config.json; train one with fbd train)");
  const std::vector<char> bytes = read_file(path);
  return run_config_from_json(std::string(bytes.begin(), bytes.end()), path);
}

void save_run_config(const std::string& run_dir, const RunConfig& c) {
  const std::string text = to_json(c);
  write_file_atomic((std::filesystem::path(run_dir) / "config.json").string(), [&](std::ostream& os) { os << text; });
}

namespace {
template <typename T>
std::vector<T> parse_list(const std::string& text, const std::string& what) {
  std::vector<T> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    std::istringstream is(item);
    T v;
    is >> v;
    FBD_CHECK(!is.fail() && (is >> std::ws).eof(), what, ": '", item, "' is not a number (expected a list like ",
              std::is_integral_v<T> ? "3,6,9" : "0.5,0.3,0.2", ")");
    out.push_back(v);
  }
  FBD_CHECK(!out.empty(), what, ": empty list");
  return out;
}
}  // namespace

std::vector<float> parse_float_list(const std::string& text, const std::string& what) {
  return parse_list<float>(text, what);
}
std::vector<int> parse_int_list(const std::string& text, const std::string& what) {
  return parse_list<int>(text, what);
}

}  // namespace fbd::app
