#include "data/volume_dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <cstdio>
#include <list>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "core/error.h"
#include "core/file_io.h"
#include "data/nifti.h"
#include "data/volume_io.h"
#include "data/volume_slices.h"

namespace fbd::data {

namespace fs = std::filesystem;

namespace {

constexpr size_t kCachedPairs = 2;

struct PairCache {
  std::mutex mutex;
  std::list<std::pair<std::string, std::shared_ptr<const VolumePair>>> recent;  // most recent first
};

PairCache& pair_cache() {
  static PairCache cache;
  return cache;
}

std::string slice_id(const std::string& volume_id, int64_t slice) {
  std::string n = std::to_string(slice);
  if (n.size() < 3) n = std::string(3 - n.size(), '0') + n;
  return volume_id + "_s" + n;
}

std::string grid_mismatch(const Volume& image, const Volume& mask) {
  if (image.nx != mask.nx || image.ny != mask.ny || image.nz != mask.nz)
    return "mask is " + mask.shape_str() + " but its image " + image.source + " is " + image.shape_str();
  return "mask's affine differs from its image's (" + image.source + ") by " +
         std::to_string(image.affine.max_abs_diff(mask.affine)) + " mm: they are not on one grid";
}

}  // namespace

std::string mask_label_problem(const Volume& mask, std::string* values, int mask_label) {
  std::set<float> seen;
  bool whole = true;
  for (float v : mask.voxels) {
    whole = whole && v == std::floor(v);
    if (seen.size() < 16) seen.insert(v);
  }
  std::string text;
  for (float v : seen) {
    if (!text.empty()) text += " ";
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%g", double(v));
    text += buf;
  }
  if (seen.size() >= 16) text += " ...";
  if (values) *values = text;
  if (mask.channels != 1) return "a mask must have one channel, this one has " + std::to_string(mask.channels);
  if (mask_label > 0)
    return whole ? "" : "values " + text + " (labels must be whole numbers)";
  for (float v : seen)
    if (v != 0.0f && v != 1.0f)
      return "values " + text + " (a mask must hold 0 and 1 only; --mask-label K takes label K as the tumour)";
  return "";
}

void select_mask_label(Volume& mask, int mask_label) {
  if (mask_label <= 0) return;
  const float k = float(mask_label);
  for (float& v : mask.voxels) v = v == k ? 1.0f : 0.0f;
}

std::shared_ptr<const VolumePair> load_volume_pair(const std::string& image, const std::string& mask, int mask_label) {
  const std::string key = image + '\n' + mask + '\n' + std::to_string(mask_label);
  PairCache& cache = pair_cache();
  {
    std::lock_guard<std::mutex> lock(cache.mutex);
    for (auto it = cache.recent.begin(); it != cache.recent.end(); ++it)
      if (it->first == key) {
        cache.recent.splice(cache.recent.begin(), cache.recent, it);
        return cache.recent.front().second;
      }
  }
  auto pair = std::make_shared<VolumePair>();
  pair->image = read_volume(image);
  pair->mask = read_volume(mask);
  FBD_CHECK(pair->image.same_grid(pair->mask), mask, ": ", grid_mismatch(pair->image, pair->mask));
  const std::string why = mask_label_problem(pair->mask, nullptr, mask_label);
  FBD_CHECK(why.empty(), mask, ": ", why);
  select_mask_label(pair->mask, mask_label);
  normalize_volume(pair->image);
  std::lock_guard<std::mutex> lock(cache.mutex);
  cache.recent.emplace_front(key, pair);
  if (cache.recent.size() > kCachedPairs) cache.recent.pop_back();
  return pair;
}

void add_volume(Dataset& ds, VolumeEntry v, const std::string& where) {
  if (v.id.empty()) v.id = volume_name(v.image);
  Volume header, mask;
  try {
    header = read_volume_header(v.image);
    mask = read_volume(v.mask);
  } catch (const Error& e) {
    ds.problems.push_back({where, e.what()});
    return;
  }
  if (!header.same_grid(mask)) {
    ds.problems.push_back({where, v.mask + ": " + grid_mismatch(header, mask)});
    return;
  }
  const VolumeOptions& vo = ds.volume_options;
  if (const std::string why = mask_label_problem(mask, &v.label_values, vo.mask_label); !why.empty()) {
    ds.problems.push_back({where, v.mask + ": " + why});
    return;
  }
  select_mask_label(mask, vo.mask_label);
  v.mask_label = vo.mask_label;
  if (header.channels > 1)
    ds.problems.push_back({where,
                           v.image + ": " + std::to_string(header.channels) +
                               " channels (a 4-D image): fbd reads the first; multi-channel input is not supported yet",
                           false});
  v.slice_axis = vo.slice_axis >= 0 ? vo.slice_axis : auto_slice_axis(header);
  v.slices = slice_count(header, v.slice_axis);
  v.tumour_slices.clear();
  for (int64_t s = 0; s < v.slices; ++s) {
    const Image m = extract_slice(mask, v.slice_axis, s);
    if (std::any_of(m.px.begin(), m.px.end(), [](float x) { return x != 0.0f; })) v.tumour_slices.push_back(s);
  }
  if (v.tumour_slices.empty())
    ds.problems.push_back({where,
                           v.mask + ": mask is empty" +
                               (vo.mask_label > 0 ? " of label " + std::to_string(vo.mask_label) : std::string()) +
                               " (no tumour in this volume, so no training slice)",
                           false});
  for (int64_t s : v.tumour_slices) {
    CaseEntry c;
    c.id = slice_id(v.id, s);
    c.image = v.image;
    c.masks = {v.mask};
    c.patient = v.patient;
    c.label = v.label;
    c.slice = s;
    c.slice_axis = v.slice_axis;
    c.mask_label = v.mask_label;
    ds.cases.push_back(std::move(c));
  }
  ds.volumes.push_back(std::move(v));
}

void scan_nnunet(Dataset& ds, const std::string& root_dir) {
  ds.layout = "nnunet";
  const fs::path root(root_dir);
  const std::string json_path = (root / "dataset.json").string();
  std::string ending = ".nii.gz";
  try {
    const std::vector<char> bytes = read_file(json_path);
    const nlohmann::json j = nlohmann::json::parse(std::string(bytes.begin(), bytes.end()));
    if (j.contains("file_ending")) ending = j.at("file_ending").get<std::string>();
  } catch (const Error& e) {
    ds.problems.push_back({"", e.what()});
    return;
  } catch (const nlohmann::json::exception& e) {
    ds.problems.push_back({json_path, std::string("bad JSON (") + e.what() + ")"});
    return;
  }
  if (ending != ".nii.gz" && ending != ".nii") {
    ds.problems.push_back({json_path, "file_ending '" + ending + "': fbd reads nnU-Net sets of .nii.gz or .nii files"});
    return;
  }
  const fs::path images = root / "imagesTr", labels = root / "labelsTr";
  if (!fs::is_directory(labels)) {
    ds.problems.push_back({root_dir, "has dataset.json and imagesTr/ but no labelsTr/ folder"});
    return;
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(images))
    if (e.is_regular_file() && e.path().filename().string().ends_with(ending)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::map<std::string, int> extra_channels;
  for (const fs::path& f : files) {
    const std::string name = f.filename().string();
    const std::string stem = name.substr(0, name.size() - ending.size());
    const size_t us = stem.rfind('_');
    if (us == std::string::npos || stem.size() - us != 5) {
      ds.problems.push_back({f.string(), "not an nnU-Net image name (CASE_0000" + ending + ")", false});
      continue;
    }
    const std::string case_name = stem.substr(0, us), channel = stem.substr(us + 1);
    if (channel != "0000") {
      ++extra_channels[case_name];
      continue;
    }
    VolumeEntry v;
    v.id = case_name;
    v.image = f.string();
    v.mask = (labels / (case_name + ending)).string();
    v.patient = case_name;
    if (!fs::is_regular_file(v.mask)) {
      ds.problems.push_back({v.image, "no label file " + v.mask});
      continue;
    }
    const std::string where = v.image;
    add_volume(ds, std::move(v), where);
  }
  if (!extra_channels.empty())
    ds.problems.push_back({root_dir,
                           std::to_string(extra_channels.size()) +
                               " case(s) have channels beyond _0000: fbd reads _0000 only (multi-channel input is "
                               "not supported yet)",
                           false});
}

}  // namespace fbd::data
