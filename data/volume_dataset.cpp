#include "data/volume_dataset.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <list>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "core/error.h"
#include "core/file_io.h"
#include "data/channels.h"
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

std::shared_ptr<const VolumePair> load_volume_pair(const std::vector<std::string>& images, const std::string& mask,
                                                   int mask_label, const std::string& channels) {
  const ChannelSpec spec = parse_channels(channels);
  std::string key = mask + '\n' + std::to_string(mask_label) + '\n' + channels_text(spec);
  for (const std::string& f : images) key += '\n' + f;
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
  pair->image = select_channels(read_volume_channels(images), spec);
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
    header = read_volume_channels_header(v.image_files());
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
  v.image_channels = header.channels;
  const ChannelSpec spec = parse_channels(vo.channels);
  if (const std::string why = channel_problem(spec, header.channels); !why.empty()) {
    ds.problems.push_back({where, v.image + ": " + why});
    return;
  }
  const int64_t channels = output_channels(spec, header.channels);
  if (ds.volumes.empty()) {
    ds.channels = channels;
  } else if (channels != ds.channels) {
    ds.problems.push_back({where, v.image + ": gives " + std::to_string(channels) + " input channel(s) but " +
                                      ds.volumes.front().image + " gives " + std::to_string(ds.channels) +
                                      " (every volume of a data set must have the same channels; --channels "
                                      "chooses some)"});
    return;
  }
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
    c.channels = channels_text(spec);
    c.more_images = v.more_images;
    ds.cases.push_back(std::move(c));
  }
  ds.volumes.push_back(std::move(v));
}

void scan_nnunet(Dataset& ds, const std::string& root_dir) {
  ds.layout = "nnunet";
  const fs::path root(root_dir);
  const std::string json_path = (root / "dataset.json").string();
  std::string ending = ".nii.gz";
  int channel_names = 0;  // dataset.json's channel count, 0 when it names none
  try {
    const std::vector<char> bytes = read_file(json_path);
    const nlohmann::json j = nlohmann::json::parse(std::string(bytes.begin(), bytes.end()));
    if (j.contains("file_ending")) ending = j.at("file_ending").get<std::string>();
    if (j.contains("channel_names")) channel_names = int(j.at("channel_names").size());
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
  // case name -> its channel files by channel number.
  std::map<std::string, std::map<int, fs::path>> cases;
  for (const auto& e : fs::directory_iterator(images)) {
    if (!e.is_regular_file() || !e.path().filename().string().ends_with(ending)) continue;
    const std::string name = e.path().filename().string();
    const ChannelFileName c = split_channel_suffix(name.substr(0, name.size() - ending.size()));
    if (c.channel < 0) {
      ds.problems.push_back({e.path().string(), "not an nnU-Net image name (CASE_0000" + ending + ")", false});
      continue;
    }
    cases[c.case_name][c.channel] = e.path();
  }
  for (const auto& [case_name, files] : cases) {
    // Channels 0 .. n-1 with none missing: n from dataset.json's channel_names, else the
    // highest channel found.
    const int n = channel_names > 0 ? channel_names : files.rbegin()->first + 1;
    std::string missing;
    for (int k = 0; k < n; ++k)
      if (!files.count(k)) {
        char suffix[16];
        std::snprintf(suffix, sizeof(suffix), "_%04d", k);
        missing += (missing.empty() ? "" : ", ") + case_name + suffix + ending;
      }
    if (!missing.empty()) {
      ds.problems.push_back(
          {(images / case_name).string() + "_*",
           "missing channel file(s) " + missing +
               (channel_names > 0 ? " (dataset.json names " + std::to_string(n) + " channels)" : "")});
      continue;
    }
    if (files.rbegin()->first >= n)
      ds.problems.push_back(
          {(images / case_name).string() + "_*",
           "has channel files beyond the " + std::to_string(n) + " dataset.json names: they are not read", false});
    VolumeEntry v;
    v.id = case_name;
    v.image = files.at(0).string();
    for (int k = 1; k < n; ++k) v.more_images.push_back(files.at(k).string());
    v.mask = (labels / (case_name + ending)).string();
    v.patient = case_name;
    if (!fs::is_regular_file(v.mask)) {
      ds.problems.push_back({v.image, "no label file " + v.mask});
      continue;
    }
    const std::string where = v.image;
    add_volume(ds, std::move(v), where);
  }
}

}  // namespace fbd::data
