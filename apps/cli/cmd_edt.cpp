// `fbd edt mask.npy out.npy [--unsigned] [--spacing dy,dx] [--device D]`: the signed distance map
// of docs/LOSSES.md (default) or the plain EDT (distance of every pixel to the nearest background
// pixel, SciPy's distance_transform_edt), float32, same shape as the mask, written atomically.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>

#include "apps/cli/command_registry.h"
#include "core/device.h"
#include "core/npy.h"
#include "losses/edt.h"
#include "losses/mask.h"

namespace fbd::app {

namespace {

struct EdtOptions {
  std::string mask, out, spacing = "1,1", device = "cpu";
  bool unsigned_edt = false;
};

void require_npy(const std::string& path, const char* cmd) {
  const std::string ext = std::filesystem::path(path).extension().string();
  FBD_CHECK(ext == ".npy", cmd, ": ", path, ": unsupported file type '", ext, "'; ", cmd,
            " reads and writes NumPy .npy arrays");
}

// "dy,dx" -> two positive finite numbers.
std::pair<float, float> parse_spacing(const std::string& s, const char* cmd) {
  std::istringstream in(s);
  float dy = 0, dx = 0;
  char comma = 0;
  const bool ok = (in >> dy >> comma >> dx) && comma == ',' && (in >> std::ws).eof();
  FBD_CHECK(ok && dy > 0 && dx > 0 && std::isfinite(dy) && std::isfinite(dx), cmd,
            ": --spacing expects two positive numbers dy,dx, got '", s, "'");
  return {dy, dx};
}

void run_edt(const EdtOptions& o) {
  require_npy(o.mask, "edt");
  require_npy(o.out, "edt");
  const auto [sy, sx] = parse_spacing(o.spacing, "edt");
  const Device dev = resolve_device(o.device);
  const Tensor mask = read_npy(o.mask);
  const MaskGeometry g = mask_geometry(mask, (o.mask + ": edt").c_str());
  check_binary_mask(mask, (o.mask + ": edt").c_str());
  const Tensor in = mask.to(dev);
  const Tensor out = o.unsigned_edt ? edt(in, sy, sx) : signed_distance_map(in, sy, sx);
  write_npy(o.out, out);
  std::printf("fbd edt: wrote %s: %s of %lld image(s) of %lld x %lld, spacing (%g, %g), on %s\n", o.out.c_str(),
              o.unsigned_edt ? "distance to the background" : "signed distance map", (long long)g.n, (long long)g.h,
              (long long)g.w, double(sy), double(sx), dev.str().c_str());
}

void register_edt(CLI::App& app) {
  auto opt = std::make_shared<EdtOptions>();
  auto* cmd = app.add_subcommand(
      "edt", "Exact Euclidean distance transform of a binary mask: the signed distance map of the boundary loss");
  cmd->add_option("mask", opt->mask, "binary mask .npy (0/1, float32 or uint8), (H,W), (N,H,W) or (N,1,H,W)")
      ->required();
  cmd->add_option("out", opt->out, "output .npy (float32, same shape)")->required();
  cmd->add_flag("--unsigned", opt->unsigned_edt,
                "write the plain EDT instead: each pixel's distance to the nearest background pixel (0 on the "
                "background, inf where an image has none)");
  cmd->add_option("--spacing", opt->spacing, "pixel spacing dy,dx")->capture_default_str();
  cmd->add_option("--device", opt->device, "cpu, cuda, cuda:N or auto")->capture_default_str();
  cmd->callback([opt] { run_edt(*opt); });
}

const CommandRegistrar registrar(41, register_edt);
}  // namespace

}  // namespace fbd::app
