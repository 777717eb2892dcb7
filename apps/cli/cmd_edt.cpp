// `fbd edt mask.npy out.npy [--unsigned] [--3d] [--spacing dy,dx | dz,dy,dx] [--device D]`: the signed distance map
// of docs/LOSSES.md (default) or the plain EDT (distance of every pixel to the nearest background
// pixel, SciPy's distance_transform_edt), float32, same shape as the mask, written atomically.
// With --3d the mask holds volumes, (D,H,W), (N,D,H,W) or (N,1,D,H,W), and --spacing is the voxel
// spacing dz,dy,dx (losses/edt3d.h): a (N,H,W) array is a batch of images unless --3d says it is
// one volume, so the flag, not the rank, decides.
#include <array>
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
#include "losses/edt3d.h"
#include "losses/mask.h"

namespace fbd::app {

namespace {

struct EdtOptions {
  std::string mask, out, spacing = "1,1", device = "cpu";
  bool unsigned_edt = false;
  bool volumes = false;        // --3d
  bool spacing_given = false;  // --spacing on the command line (the 3-D default is 1,1,1)
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

// "dz,dy,dx" -> three positive finite numbers.
std::array<float, 3> parse_spacing3(const std::string& s, const char* cmd) {
  std::istringstream in(s);
  std::array<float, 3> d{};
  char c1 = 0, c2 = 0;
  const bool ok = (in >> d[0] >> c1 >> d[1] >> c2 >> d[2]) && c1 == ',' && c2 == ',' && (in >> std::ws).eof();
  const auto good = [](float v) { return v > 0 && std::isfinite(v); };
  FBD_CHECK(ok && good(d[0]) && good(d[1]) && good(d[2]), cmd,
            ": --spacing expects three positive numbers dz,dy,dx with --3d, got '", s, "'");
  return d;
}

void run_edt3d(const EdtOptions& o) {
  const auto [sz, sy, sx] = parse_spacing3(o.spacing_given ? o.spacing : "1,1,1", "edt");
  const Device dev = resolve_device(o.device);
  const Tensor mask = read_npy(o.mask);
  const std::string what = o.mask + ": edt";
  const VolumeGeometry g = volume_geometry(mask, what.c_str());
  check_binary_mask(mask, what.c_str());
  const Tensor in = mask.to(dev);
  const Tensor out = o.unsigned_edt ? edt3d(in, sz, sy, sx) : signed_distance_map3d(in, sz, sy, sx);
  write_npy(o.out, out);
  std::printf("fbd edt: wrote %s: %s of %lld volume(s) of %lld x %lld x %lld, spacing (%g, %g, %g), on %s\n",
              o.out.c_str(), o.unsigned_edt ? "distance to the background" : "signed distance map", (long long)g.n,
              (long long)g.d, (long long)g.h, (long long)g.w, double(sz), double(sy), double(sx), dev.str().c_str());
}

void run_edt(const EdtOptions& o) {
  require_npy(o.mask, "edt");
  require_npy(o.out, "edt");
  if (o.volumes) {
    run_edt3d(o);
    return;
  }
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
  cmd->add_option("mask", opt->mask,
                  "binary mask .npy (0/1, float32 or uint8), (H,W), (N,H,W) or (N,1,H,W); with --3d (D,H,W), "
                  "(N,D,H,W) or (N,1,D,H,W)")
      ->required();
  cmd->add_option("out", opt->out, "output .npy (float32, same shape)")->required();
  cmd->add_flag("--unsigned", opt->unsigned_edt,
                "write the plain EDT instead: each pixel's distance to the nearest background pixel (0 on the "
                "background, inf where an image has none)");
  cmd->add_flag("--3d", opt->volumes,
                "the mask holds volumes, (D,H,W), (N,D,H,W) or (N,1,D,H,W): the exact 3-D transform, with "
                "--spacing dz,dy,dx (default 1,1,1)");
  auto* spacing = cmd->add_option("--spacing", opt->spacing, "pixel spacing dy,dx (with --3d: voxel spacing dz,dy,dx)")
                      ->capture_default_str();
  cmd->add_option("--device", opt->device, "cpu, cuda, cuda:N or auto")->capture_default_str();
  cmd->callback([opt, spacing] {
    opt->spacing_given = spacing->count() > 0;
    run_edt(*opt);
  });
}

const CommandRegistrar registrar(41, register_edt);
}  // namespace

}  // namespace fbd::app
