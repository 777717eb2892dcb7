// `fbd predict`: masks and overlays for new images, with optional post-processing.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>

#include "apps/cli/command_registry.h"
#include "apps/train/evaluate.h"
#include "apps/train/trainer.h"
#include "data/draw.h"
#include "data/image_io.h"
#include "data/morphology.h"

namespace fbd::app {

namespace {

struct Options {
  std::string model, input, out, checkpoint = "last", device = "auto";
  float threshold = 0.5f;
  bool largest = false, fill_holes = false;
  int64_t min_size = 0;
};

bool is_image_file(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  for (char& ch : ext) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  const std::string stem = p.stem().string();
  const bool annotation = stem.find("_mask") != std::string::npos || stem.find("_edge") != std::string::npos ||
                          stem.find("_overlay") != std::string::npos;
  return (ext == ".png" || ext == ".jpg" || ext == ".jpeg") && !annotation;
}

std::vector<std::filesystem::path> input_images(const std::string& input) {
  namespace fs = std::filesystem;
  FBD_CHECK(fs::exists(input), input, ": no such file or folder");
  if (!fs::is_directory(input)) return {input};
  const fs::path dir = fs::is_directory(fs::path(input) / "images") ? fs::path(input) / "images" : fs::path(input);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && is_image_file(e.path())) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  FBD_CHECK(!files.empty(), input, ": no images (.png, .jpg) found");
  return files;
}

void run(const Options& o) {
  FBD_CHECK(o.threshold > 0 && o.threshold < 1, "--threshold must be in (0, 1)");
  FBD_CHECK(o.min_size >= 0, "--min-size must be non-negative");
  const RunConfig c = load_run_config(o.model);
  const auto files = input_images(o.input);
  std::vector<data::Sample> slices;
  for (const auto& f : files) {
    data::Sample s;
    s.image = data::read_image(f.string());  // a bad file stops here, before anything is written
    s.id = f.stem().string();
    slices.push_back(std::move(s));
  }
  const Device device = resolve_device(o.device);
  const auto net = load_trained_net(o.model, c, o.checkpoint, device);
  const std::vector<SlicePrediction> preds = predict_slices(*net, slices, c, device);
  std::filesystem::create_directories(o.out);
  int64_t nonempty = 0;
  for (const SlicePrediction& p : preds) {
    data::Image mask(p.prob.height, p.prob.width);
    for (size_t i = 0; i < mask.px.size(); ++i) mask.px[i] = p.prob.px[i] >= o.threshold ? 1.0f : 0.0f;
    if (o.min_size > 0) mask = data::remove_small_components(mask, o.min_size);
    if (o.largest) mask = data::largest_component(mask);
    if (o.fill_holes) mask = data::fill_holes(mask);
    const std::filesystem::path base = std::filesystem::path(o.out) / p.id;
    data::write_mask_png(base.string() + "_mask.png", mask);
    data::RgbImage overlay = data::gray_to_rgb(p.image);
    data::draw_outline(overlay, mask, 0, 0, {255, 40, 40});
    data::write_png(base.string() + "_overlay.png", overlay);
    bool any = false;
    for (float v : mask.px) any = any || v != 0.0f;
    nonempty += any;
  }
  std::printf("fbd predict: %zu images, tumour found in %lld; masks and overlays in %s\n", preds.size(),
              static_cast<long long>(nonempty), o.out.c_str());
}

void register_predict(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("predict", "Predict tumour masks for images: NAME_mask.png and NAME_overlay.png");
  cmd->add_option("--model", o->model, "run folder (from fbd train)")->required();
  cmd->add_option("--input", o->input, "an image, or a folder of images (or a data set folder with images/)")
      ->required();
  cmd->add_option("--out", o->out, "output folder")->required();
  cmd->add_option("--checkpoint", o->checkpoint, "last or best")->capture_default_str();
  cmd->add_option("--threshold", o->threshold, "probability threshold")->capture_default_str();
  cmd->add_flag("--largest", o->largest, "keep only the largest connected component");
  cmd->add_option("--min-size", o->min_size, "remove components smaller than this many pixels")->capture_default_str();
  cmd->add_flag("--fill-holes", o->fill_holes, "fill holes inside the predicted tumour");
  cmd->add_option("--device", o->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->callback([o] { run(*o); });
}

const CommandRegistrar registrar(52, register_predict);

}  // namespace

}  // namespace fbd::app
