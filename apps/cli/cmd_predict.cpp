// `fbd predict`: masks and overlays for new images, with optional post-processing.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>

#include "apps/cli/command_registry.h"
#include "apps/train/evaluate.h"
#include "apps/train/trainer.h"
#include "apps/train/volume_eval.h"
#include "data/channels.h"
#include "data/draw.h"
#include "data/image_io.h"
#include "data/nifti.h"
#include "data/volume_io.h"
#include "data/volume_slices.h"

namespace fbd::app {

namespace {

struct Options {
  std::string model, input, out, checkpoint = "last", device = "auto", series, slice_axis = "run";
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

// A NIfTI file (not one of fbd's own _mask outputs), a DICOM file, or a folder of DICOM files.
bool is_volume_input(const std::filesystem::path& p) {
  const std::string name = p.filename().string();
  if (data::is_nifti_path(p.string())) return name.find("_mask.nii") == std::string::npos;
  return data::is_volume_path(p.string());
}

// The images (or volumes) to predict: a file, a DICOM series folder, a folder of them, or a
// data set folder (images/, or nnU-Net's imagesTs/ or imagesTr/).
std::vector<std::filesystem::path> input_images(const std::string& input) {
  namespace fs = std::filesystem;
  FBD_CHECK(fs::exists(input), input, ": no such file or folder");
  if (!fs::is_directory(input) || data::is_dicom_folder(input)) return {input};
  fs::path dir(input);
  for (const char* sub : {"images", "imagesTs", "imagesTr"})
    if (fs::is_directory(fs::path(input) / sub)) {
      dir = fs::path(input) / sub;
      break;
    }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const bool file = e.is_regular_file() && (is_image_file(e.path()) || is_volume_input(e.path()));
    const bool series = e.is_directory() && data::is_dicom_folder(e.path().string());
    if (file || series) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  FBD_CHECK(!files.empty(), input, ": no images (.png, .jpg) or volumes (.nii, .nii.gz, DICOM series) found");
  return files;
}

// nnU-Net's channel files of one case (CASE_0000, CASE_0001, ...) become one volume, its
// files in channel order; every other input is a volume of its own.
std::vector<std::vector<std::filesystem::path>> group_channel_files(const std::vector<std::filesystem::path>& files) {
  // The channel number of a NIfTI file named CASE_NNNN, and the case it belongs to (its folder,
  // name and extension); -1 for any other file.
  auto split = [](const std::filesystem::path& f, std::string& stem) {
    const std::string name = f.filename().string();
    for (const std::string ext : {".nii.gz", ".nii"})
      if (name.ends_with(ext)) {
        const data::ChannelFileName c = data::split_channel_suffix(name.substr(0, name.size() - ext.size()));
        if (c.channel >= 0) stem = f.parent_path().string() + "/" + c.case_name + ext;
        return c.channel;
      }
    return -1;
  };
  std::map<std::string, std::map<int, std::filesystem::path>> cases;
  for (const auto& f : files) {
    std::string stem;
    if (split(f, stem) >= 0) cases[stem][split(f, stem)] = f;
  }
  std::vector<std::vector<std::filesystem::path>> out;
  for (const auto& f : files) {
    std::string stem;
    const int channel = split(f, stem);
    if (channel < 0 || !cases.at(stem).count(0)) {
      out.push_back({f});  // not a channel file, or no _0000 beside it: a volume of its own
    } else if (channel == 0) {
      std::vector<std::filesystem::path> group;
      for (const auto& [k, path] : cases.at(stem)) {
        if (k != int(group.size())) {
          char missing[16];
          std::snprintf(missing, sizeof(missing), "_%04d", int(group.size()));
          FBD_FAIL(f.string(), ": no channel file ", missing, " beside it, though ", path.filename().string(),
                   " is there (nnU-Net's channels are _0000, _0001, ... without gaps)");
        }
        group.push_back(path);
      }
      out.push_back(std::move(group));
    }
  }
  return out;
}

std::vector<std::string> path_strings(const std::vector<std::filesystem::path>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(f.string());
  return out;
}

MaskCleanup mask_cleanup(const Options& o) {
  MaskCleanup m;
  m.threshold = o.threshold;
  m.min_size = o.min_size;
  m.largest = o.largest;
  m.fill_holes = o.fill_holes;
  return m;
}

// One volume: every slice predicted, the mask written on the input's grid and header, and an
// overlay PNG of each slice with tumour. Returns the slices with tumour.
size_t predict_one_volume(const Options& o, const RunConfig& c, SegNet& net, Device device, data::Volume image,
                          const std::filesystem::path& file) {
  std::vector<float> voxels = std::move(image.voxels);
  data::Volume grid_only = image;  // the grid and header, without copying the voxels
  grid_only.channels = 1;
  image.voxels = std::move(voxels);
  image = data::select_channels(image, data::parse_channels(c.volume.channels));
  data::normalize_volume(image);
  const int forced = o.slice_axis == "run" ? c.volume.slice_axis : data::parse_slice_axis(o.slice_axis);
  const int axis = forced >= 0 ? forced : data::auto_slice_axis(image);
  const VolumePrediction p = predict_volume(net, image, axis, c, device, mask_cleanup(o));
  const std::filesystem::path base = std::filesystem::path(o.out) / data::volume_name(file.string());
  data::write_nifti_mask(base.string() + "_mask.nii.gz", p.mask, grid_only);
  data::Volume mask_view = grid_only;
  if (!p.tumour_slices.empty()) mask_view.voxels.assign(p.mask.begin(), p.mask.end());
  for (int64_t s : p.tumour_slices) {
    const data::Image slice = data::extract_slice(image, axis, s), mask = data::extract_slice(mask_view, axis, s);
    data::RgbImage overlay = data::gray_to_rgb(slice);
    data::draw_outline(overlay, mask, 0, 0, {255, 40, 40});
    char suffix[32];
    std::snprintf(suffix, sizeof(suffix), "_s%03lld_overlay.png", static_cast<long long>(s));
    data::write_png(base.string() + suffix, overlay);
  }
  return p.tumour_slices.size();
}

void run(const Options& o) {
  FBD_CHECK(o.threshold > 0 && o.threshold < 1, "--threshold must be in (0, 1)");
  FBD_CHECK(o.min_size >= 0, "--min-size must be non-negative");
  const RunConfig c = load_run_config(o.model);
  if (o.slice_axis != "run") data::parse_slice_axis(o.slice_axis);  // a bad value stops here
  const auto files = input_images(o.input);
  const bool volumes = std::any_of(files.begin(), files.end(), [](const auto& f) { return is_volume_input(f); });
  if (volumes) {
    FBD_CHECK(std::all_of(files.begin(), files.end(), [](const auto& f) { return is_volume_input(f); }), o.input,
              ": holds both images and volumes; predict one kind at a time");
    // Every header is checked before anything is written; the voxels are read one volume at a
    // time (a set of volumes may not fit in memory at once), each output written atomically.
    FBD_CHECK(o.series.empty() || files.size() == 1, "--series chooses the series of one DICOM folder; ", o.input,
              " holds ", files.size(), " volumes");
    const auto groups = group_channel_files(files);
    const data::ChannelSpec spec = data::parse_channels(c.volume.channels);
    for (const auto& g : groups) {
      const data::Volume h = g.size() == 1 ? data::read_volume_header(g[0].string(), o.series)
                                           : data::read_volume_channels_header(path_strings(g));
      const std::string why = data::channel_problem(spec, h.channels);
      FBD_CHECK(why.empty(), g[0].string(), ": ", why, " (the run's --channels)");
      FBD_CHECK(data::output_channels(spec, h.channels) == c.net.in_channels, g[0].string(), ": gives ",
                data::output_channels(spec, h.channels), " input channel(s) with the run's --channels ",
                c.volume.channels, ", but its network takes ", c.net.in_channels);
    }
    const Device device = resolve_device(o.device);
    const auto net = load_trained_net(o.model, c, o.checkpoint, device);
    std::filesystem::create_directories(o.out);
    size_t with_tumour = 0, slices = 0;
    for (const auto& g : groups) {
      data::Volume v =
          g.size() == 1 ? data::read_volume(g[0].string(), o.series) : data::read_volume_channels(path_strings(g));
      const size_t found = predict_one_volume(o, c, *net, device, std::move(v), g[0]);
      with_tumour += found > 0;
      slices += found;
    }
    std::printf(
        "fbd predict: %zu volumes, tumour found in %zu (%zu slices); NAME_mask.nii.gz on each input's grid "
        "and overlays of the slices with tumour in %s\n",
        groups.size(), with_tumour, slices, o.out.c_str());
    return;
  }
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
  const MaskCleanup cleanup = mask_cleanup(o);
  for (const SlicePrediction& p : preds) {
    const data::Image mask = clean_mask(p.prob, cleanup);
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
  cmd->add_option("--input", o->input, "an image, a NIfTI volume or a DICOM series (folder or file), or a folder of them (or a data set folder with images/, imagesTs/ or imagesTr/)")
      ->required();
  cmd->add_option("--out", o->out, "output folder")->required();
  cmd->add_option("--slice-axis", o->slice_axis,
                  "volumes: i, j, k, auto (the axis of largest spacing) or run (the training run's choice)")
      ->capture_default_str();
  cmd->add_option("--series", o->series, "the SeriesInstanceUID to read from a DICOM folder that holds several series");
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
