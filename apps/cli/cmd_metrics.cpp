// `fbd metrics pred.npy gt.npy [--json] [--spacing dy,dx] [--hd95 max|pooled] [--threshold T]
// [--device D]`: every metric of docs/LOSSES.md per image and as batch means, with the number of
// images each mean leaves out (undefined values) and the images whose Hausdorff distances are
// the image diagonal (exactly one mask empty).
//
// pred: probabilities or a binary mask in [0, 1] (pixel foreground when p >= threshold, 0.5 by
// default); gt: a binary mask. Both .npy, float32/float64/uint8, (H,W), (N,H,W) or (N,1,H,W).
// PNG inputs will come through the data library's image reader; until then other file types
// are a one-line error that says what is supported.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "apps/cli/command_registry.h"
#include "core/device.h"
#include "core/npy.h"
#include "losses/metrics.h"

namespace fbd::app {

namespace {

struct MetricsCliOptions {
  std::string pred, target, spacing = "1,1", hd95 = "max", device = "cpu";
  float threshold = 0.5f;
  bool json = false;
};

Tensor read_input(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  FBD_CHECK(ext == ".npy", "metrics: ", path, ": unsupported file type '", ext,
            "'; fbd metrics reads NumPy .npy arrays (PNG support is not wired in yet)");
  return read_npy(path);
}

std::pair<float, float> parse_spacing(const std::string& s) {
  std::istringstream in(s);
  float dy = 0, dx = 0;
  char comma = 0;
  const bool ok = (in >> dy >> comma >> dx) && comma == ',' && (in >> std::ws).eof();
  FBD_CHECK(ok && dy > 0 && dx > 0 && std::isfinite(dy) && std::isfinite(dx),
            "metrics: --spacing expects two positive numbers dy,dx, got '", s, "'");
  return {dy, dx};
}

nlohmann::json number(double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); }

void print_json(const MetricsReport& r, const MetricOptions& o, const Shape& shape) {
  nlohmann::json j;
  j["shape"] = shape;
  j["threshold"] = o.threshold;
  j["spacing"] = {o.spacing_y, o.spacing_x};
  j["hd95"] = o.hd95 == Hd95::Pooled ? "pooled" : "max_of_directed";
  j["band_width"] = r.band_width;
  j["hd_one_empty"] = r.hd_one_empty;
  nlohmann::json mean = nlohmann::json::object(), images = nlohmann::json::array();
  for (int k = 0; k < kNumMetrics; ++k)
    mean[metric_name(Metric(k))] = {{"mean", number(r.mean[size_t(k)].mean)},
                                    {"used", r.mean[size_t(k)].used},
                                    {"left_out", r.mean[size_t(k)].left_out}};
  for (const ImageMetrics& m : r.images) {
    nlohmann::json im;
    for (int k = 0; k < kNumMetrics; ++k) im[metric_name(Metric(k))] = number(m.value[size_t(k)]);
    im["tp"] = m.tp, im["fp"] = m.fp, im["fn"] = m.fn, im["tn"] = m.tn;
    im["hd_one_empty"] = m.hd_one_empty;
    images.push_back(im);
  }
  j["mean"] = mean;
  j["images"] = images;
  std::printf("%s\n", j.dump(1).c_str());
}

void print_table(const MetricsReport& r, const MetricOptions& o, int64_t h, int64_t w) {
  std::printf(
      "fbd metrics: %zu image(s) of %lld x %lld; pred >= %g is foreground; spacing (%g, %g); "
      "HD95 = %s; boundary band d = %lld px\n",
      r.images.size(), (long long)h, (long long)w, double(o.threshold), double(o.spacing_y), double(o.spacing_x),
      o.hd95 == Hd95::Pooled ? "95th percentile of both directions pooled (medpy)"
                             : "max of the two directed 95th percentiles (MONAI)",
      (long long)r.band_width);
  std::printf("%6s", "image");
  for (int k = 0; k < kNumMetrics; ++k) std::printf(" %13s", metric_name(Metric(k)));
  std::printf("\n");
  for (size_t n = 0; n < r.images.size(); ++n) {
    std::printf("%6zu", n);
    for (int k = 0; k < kNumMetrics; ++k) {
      const bool flag = r.images[n].hd_one_empty && (Metric(k) == Metric::HD || Metric(k) == Metric::HD95);
      std::printf(" %12.4f%s", r.images[n].value[size_t(k)], flag ? "*" : " ");
    }
    std::printf("\n");
  }
  std::printf("%6s", "mean");
  for (int k = 0; k < kNumMetrics; ++k) std::printf(" %12.4f ", r.mean[size_t(k)].mean);
  std::printf("\n%6s", "left");
  for (int k = 0; k < kNumMetrics; ++k) std::printf(" %12lld ", (long long)r.mean[size_t(k)].left_out);
  std::printf("\n");
  std::printf("left: images left out of the mean (metric undefined, nan above)");
  if (r.hd_one_empty > 0)
    std::printf("; *: %lld image(s) with exactly one empty mask, Hausdorff = the image diagonal",
                (long long)r.hd_one_empty);
  std::printf("\n");
}

void run_metrics(const MetricsCliOptions& c) {
  MetricOptions o;
  std::tie(o.spacing_y, o.spacing_x) = parse_spacing(c.spacing);
  o.threshold = c.threshold;
  FBD_CHECK(c.hd95 == "max" || c.hd95 == "pooled", "metrics: --hd95 must be max or pooled, got '", c.hd95, "'");
  o.hd95 = c.hd95 == "pooled" ? Hd95::Pooled : Hd95::MaxOfDirected;
  const Device dev = resolve_device(c.device);
  const Tensor pred = read_input(c.pred), target = read_input(c.target);
  const MetricsReport r = compute_metrics(pred.to(dev), target.to(dev), o);
  const Shape& s = pred.shape();
  if (c.json)
    print_json(r, o, s);
  else
    print_table(r, o, s[s.size() - 2], s[s.size() - 1]);
}

void register_metrics(CLI::App& app) {
  auto opt = std::make_shared<MetricsCliOptions>();
  auto* cmd = app.add_subcommand(
      "metrics", "Dice, IoU, mIoU, precision, sensitivity, specificity, accuracy, HD, HD95, boundary IoU and Dice");
  cmd->add_option("pred", opt->pred, "prediction .npy: probabilities in [0,1] or a 0/1 mask")->required();
  cmd->add_option("gt", opt->target, "ground truth .npy: a 0/1 mask of the same shape")->required();
  cmd->add_flag("--json", opt->json, "print one JSON object (undefined values as null)");
  cmd->add_option("--spacing", opt->spacing, "pixel spacing dy,dx (Hausdorff distances in its units)")
      ->capture_default_str();
  cmd->add_option("--hd95", opt->hd95, "max: max of the directed 95th percentiles (MONAI); pooled: medpy's")
      ->capture_default_str();
  cmd->add_option("--threshold", opt->threshold, "pred >= threshold is foreground")->capture_default_str();
  cmd->add_option("--device", opt->device, "cpu, cuda, cuda:N or auto")->capture_default_str();
  cmd->callback([opt] { run_metrics(*opt); });
}

const CommandRegistrar registrar(42, register_metrics);
}  // namespace

}  // namespace fbd::app
