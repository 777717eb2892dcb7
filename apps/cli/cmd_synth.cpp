// `fbd synth`: write the synthetic breast-MRI phantom data set (data/phantom.h).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "apps/cli/command_registry.h"
#include "core/error.h"
#include "data/phantom.h"

namespace fbd::app {

namespace {

struct SynthOptions {
  std::string out;
  data::PhantomOptions phantom;
  std::string spacing = "0.7,2.0";
};

// "XY,Z" into the phantom's spacing.
void parse_spacing(SynthOptions& opt) {
  const size_t comma = opt.spacing.find(',');
  char* end = nullptr;
  bool ok = comma != std::string::npos;
  if (ok) {
    const std::string xy = opt.spacing.substr(0, comma), z = opt.spacing.substr(comma + 1);
    opt.phantom.spacing_xy = std::strtod(xy.c_str(), &end);
    ok = !xy.empty() && *end == 0;
    opt.phantom.spacing_z = std::strtod(z.c_str(), &end);
    ok = ok && !z.empty() && *end == 0;
  }
  FBD_CHECK(ok, "synth: --spacing must be two numbers IN_PLANE,BETWEEN_SLICES in mm, got '", opt.spacing, "'");
}

void run_synth(SynthOptions opt) {
  parse_spacing(opt);
  const auto t0 = std::chrono::steady_clock::now();
  const data::PhantomSummary s = data::write_phantom(opt.out, opt.phantom);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("fbd synth: %zu slices of %dx%d from %d patients (%d benign, %d malignant) in %s (%.2f s)\n", s.cases,
              opt.phantom.size, opt.phantom.size, opt.phantom.patients, s.benign, s.malignant, opt.out.c_str(), secs);
  std::printf("tumour fraction of the slice: mean %.2f%%, min %.2f%%, max %.2f%%\n", 100 * s.mean_tumour_fraction,
              100 * s.min_tumour_fraction, 100 * s.max_tumour_fraction);
  if (opt.phantom.format == "nifti")
    std::printf(
        "wrote imagesTr/ (%s), labelsTr/ (one NIfTI volume per patient, %g x %g x %g mm), dataset.json, "
        "manifest.csv, phantom.json and gallery.png\n",
        opt.phantom.phases == 1 ? "one image per patient"
                                : (std::to_string(opt.phantom.phases) + " DCE phases per patient, _0000 "
                                                                        "pre-contrast")
                                      .c_str(),
        opt.phantom.spacing_xy, opt.phantom.spacing_xy, opt.phantom.spacing_z);
  else
    std::printf("wrote images/, masks/, edges/, manifest.csv, phantom.json and gallery.png\n");
}

void register_synth(CLI::App& app) {
  auto opt = std::make_shared<SynthOptions>();
  data::PhantomOptions& p = opt->phantom;
  auto* cmd = app.add_subcommand("synth", "Write a synthetic breast-MRI data set (images, masks, edges, manifest)");
  cmd->add_option("--out", opt->out, "output folder (new, empty, or an earlier phantom)")->required();
  cmd->add_option("--patients", p.patients, "patients (one tumour each)")->capture_default_str();
  cmd->add_option("--slices-per-patient", p.slices, "consecutive axial slices per patient")->capture_default_str();
  cmd->add_option("--size", p.size, "slice size in pixels (square)")->capture_default_str();
  cmd->add_option("--seed", p.seed, "seed: the same seed gives the same files")->capture_default_str();
  cmd->add_option("--malignant-fraction", p.malignant_fraction, "fraction of malignant patients")
      ->capture_default_str();
  cmd->add_option("--noise", p.noise, "Rician noise sigma (image range is [0, 1])")->capture_default_str();
  cmd->add_option("--style", p.style,
                  "default, or realistic: larger, irregular, low-contrast lesions (1-18% of a quadrant) with speckle")
      ->capture_default_str();
  cmd->add_option("--bit-depth", p.bit_depth, "bits per pixel of the image PNGs (8 or 16)")->capture_default_str();
  cmd->add_option("--edge-width", p.edge_width, "width in pixels of the edge masks")->capture_default_str();
  cmd->add_option("--threads", p.threads, "threads (0: one per core)")->capture_default_str();
  cmd->add_option("--format", p.format,
                  "png: 2-D slices; nifti: one volume per patient (nnU-Net layout imagesTr/ + labelsTr/)")
      ->capture_default_str();
  cmd->add_option("--spacing", opt->spacing, "voxel spacing of the nifti volumes in mm: in-plane,between-slices")
      ->capture_default_str();
  cmd->add_option("--phases", p.phases,
                  "nifti: DCE phases per patient as channels _0000, _0001, ... (1: the enhanced scan; N >= 2: "
                  "pre-contrast, then N-1 post-contrast phases with malignant washout and benign persistent "
                  "enhancement)")
      ->capture_default_str();
  cmd->callback([opt] { run_synth(*opt); });
}

const CommandRegistrar registrar(30, register_synth);
}  // namespace

}  // namespace fbd::app
