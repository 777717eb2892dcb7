// `fbd augment-preview DIR --out grid.png`: a figure like the paper's Fig. 6, one row per
// augmentation applied to a few cases of a data set (rows: original, Gaussian blur, CLAHE,
// normalisation, elastic deformation, brightness/contrast, then rotation + flip, gamma and the
// whole pipeline as configured). Geometric rows outline the mask in red, so one sees that
// mask and image moved together.
#include <algorithm>
#include <cstdio>
#include <memory>

#include "apps/cli/command_registry.h"
#include "core/error.h"
#include "data/dataset.h"
#include "data/draw.h"
#include "data/pipeline.h"
#include "data/quadrants.h"
#include "data/random.h"

namespace fbd::app {

namespace {

struct PreviewOptions {
  std::string dir, out, config;
  int cases = 4;
  uint64_t seed = 1;
  bool full_slice = false;
};

struct Row {
  std::string label;
  std::vector<std::string> ops;  // steps applied in order (taken from the config when it has them)
  bool whole_pipeline = false;
  bool outline = false;
};

void run_preview(const PreviewOptions& opt) {
  const data::Dataset ds = data::scan_dataset(opt.dir);
  std::vector<const data::CaseEntry*> usable;
  for (const data::CaseEntry& c : ds.cases)
    if (!c.masks.empty()) usable.push_back(&c);
  FBD_CHECK(!usable.empty(), opt.dir, ": no case with an image and a mask (run fbd check-data ", opt.dir, ")");
  const data::AugmentPipeline config =
      opt.config.empty() ? data::AugmentPipeline::default_pipeline() : data::AugmentPipeline::from_file(opt.config);

  // Cases spread over the data set, prepared as training sees them (tumour quadrant by default).
  const size_t n = std::min<size_t>(size_t(opt.cases), usable.size());
  std::vector<data::Sample> samples;
  for (size_t i = 0; i < n; ++i) {
    const data::CaseEntry& c = *usable[i * usable.size() / n];
    data::Sample s = data::load_case(c);
    if (!opt.full_slice) {
      std::vector<data::Sample> q = data::quadrant_samples(s, data::quadrant_layout(s.image));
      if (!q.empty()) s = q.front();  // a slice without tumour is shown whole
    }
    samples.push_back(std::move(s));
  }

  const std::vector<Row> rows = {
      {"original", {}, false, false},
      {"Gaussian blur", {"gaussian_blur"}, false, false},
      {"CLAHE", {"clahe"}, false, false},
      {"normalisation (z-score)", {"normalize"}, false, false},
      {"elastic deformation", {"elastic"}, false, true},
      {"brightness / contrast", {"brightness_contrast"}, false, false},
      {"rotation + flip", {"rotate", "hflip"}, false, true},
      {"gamma", {"gamma"}, false, false},
      {"whole pipeline", {}, true, true},
  };

  int64_t cell = 0;
  for (const data::Sample& s : samples) cell = std::max({cell, s.image.height, s.image.width});
  cell = std::clamp<int64_t>(cell, 128, 192);  // small crops are shown enlarged
  const int ts = cell >= 96 ? 2 : 1;
  int64_t label_w = 0;
  for (const Row& r : rows) label_w = std::max(label_w, data::text_width(r.label, ts));
  const int64_t pad = 4, head = data::text_height(ts) + 10;
  const int64_t W = pad + label_w + pad + int64_t(samples.size()) * (cell + pad);
  const int64_t H = head + int64_t(rows.size()) * (cell + pad) + pad;
  data::RgbImage fig(H, W, 24, 24, 24);
  data::draw_text(fig, 4, pad, "fbd augment-preview: " + ds.root, {255, 255, 255}, ts);

  for (size_t r = 0; r < rows.size(); ++r) {
    const int64_t y = head + int64_t(r) * (cell + pad);
    data::draw_text(fig, y + cell / 2 - data::text_height(ts) / 2, pad, rows[r].label, {255, 255, 255}, ts);
    for (size_t c = 0; c < samples.size(); ++c) {
      data::Sample s = samples[c];
      const uint64_t key = data::derive_key(opt.seed, r, c);
      if (rows[r].whole_pipeline) {
        config.apply(s, key);
      } else {
        for (size_t k = 0; k < rows[r].ops.size(); ++k) {
          const std::string& op = rows[r].ops[k];
          const int i = config.find(op);
          if (i >= 0) {
            config.apply_step(size_t(i), s, data::derive_key(key, k, 0));
          } else {
            data::AugmentPipeline p;
            p.add_step_json("{\"op\": \"" + op + "\"}", "augment-preview");
            p.apply_step(0, s, data::derive_key(key, k, 0));
          }
        }
      }
      // Show [0, 1] as is; anything normalised beyond it by its own range.
      const auto [mn, mx] = std::minmax_element(s.image.px.begin(), s.image.px.end());
      const bool stretch = *mn < -0.01f || *mx > 1.01f;
      data::Image img = s.image, mask = s.mask;
      if (img.height != cell || img.width != cell) {
        img = data::resize_bilinear(img, cell, cell);
        mask = data::resize_nearest(mask, cell, cell);
      }
      const int64_t x = pad + label_w + pad + int64_t(c) * (cell + pad);
      data::blit(fig, stretch ? data::gray_to_rgb(img, *mn, *mx) : data::gray_to_rgb(img), y, x);
      if (rows[r].outline) data::draw_outline(fig, mask, y, x, {255, 40, 40});
    }
  }
  data::write_png(opt.out, fig);
  std::printf("fbd augment-preview: %zu cases x %zu rows -> %s\n", samples.size(), rows.size(), opt.out.c_str());
  std::printf("pipeline:\n%s", config.describe().c_str());
}

void register_preview(CLI::App& app) {
  auto opt = std::make_shared<PreviewOptions>();
  auto* cmd = app.add_subcommand(
      "augment-preview", "Write a figure of each augmentation applied to a few cases (like the paper's Fig. 6)");
  cmd->add_option("DIR", opt->dir, "data set folder")->required();
  cmd->add_option("--out", opt->out, "output PNG")->required();
  cmd->add_option("--cases", opt->cases, "cases (columns) to show")->capture_default_str()->check(CLI::Range(1, 32));
  cmd->add_option("--seed", opt->seed, "seed of the random augmentation parameters")->capture_default_str();
  cmd->add_option("--config", opt->config, "augmentation pipeline JSON (default: fbd's default pipeline)");
  cmd->add_flag("--full-slice", opt->full_slice, "show whole slices instead of the tumour quadrant training sees");
  cmd->callback([opt] { run_preview(*opt); });
}

const CommandRegistrar registrar(32, register_preview);
}  // namespace

}  // namespace fbd::app
