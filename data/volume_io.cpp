#include "data/volume_io.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "data/dicom.h"
#include "data/nifti.h"

namespace fbd::data {

namespace fs = std::filesystem;

bool is_dicom_folder(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return false;
  for (const auto& e : fs::directory_iterator(path, ec))
    if (e.is_regular_file(ec) && is_dicom_file(e.path().string())) return true;
  return false;
}

bool is_volume_path(const std::string& path) {
  std::error_code ec;
  if (is_nifti_path(path)) return true;
  if (fs::is_regular_file(path, ec)) return is_dicom_file(path);
  return is_dicom_folder(path);
}

std::string volume_name(const std::string& path) {
  fs::path p(path);
  if (p.filename().empty()) p = p.parent_path();  // "series/"
  std::string name = p.filename().string();
  if (!is_nifti_path(path)) return fs::is_directory(p) ? name : p.stem().string();
  for (const std::string ext : {".nii.gz", ".nii", ".NII.GZ", ".NII"})
    if (name.size() > ext.size() && name.ends_with(ext)) {
      name = name.substr(0, name.size() - ext.size());
      break;
    }
  if (name.size() > 5 && name.ends_with("_0000")) name = name.substr(0, name.size() - 5);
  return name;
}

ChannelFileName split_channel_suffix(const std::string& stem) {
  const size_t us = stem.rfind('_');
  if (us == std::string::npos || stem.size() - us != 5 ||
      !std::all_of(stem.begin() + long(us) + 1, stem.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
    return {stem, -1};
  return {stem.substr(0, us), std::stoi(stem.substr(us + 1))};
}

Volume read_volume(const std::string& path, const std::string& series_uid) {
  if (is_nifti_path(path)) {
    FBD_CHECK(series_uid.empty(), path, ": a series UID chooses a DICOM series; this is a NIfTI file");
    return read_nifti(path);
  }
  std::error_code ec;
  FBD_CHECK(fs::exists(path, ec), path, ": no such file or folder");
  FBD_CHECK(is_volume_path(path), path,
            ": not a volume (fbd reads NIfTI .nii / .nii.gz files and DICOM series: a folder of DICOM files, or "
            "one file)");
  return read_dicom_series(path, series_uid);
}

Volume read_volume_header(const std::string& path, const std::string& series_uid) {
  if (is_nifti_path(path) && series_uid.empty()) return read_nifti_header(path);
  Volume v = read_volume(path, series_uid);
  v.voxels.clear();
  v.voxels.shrink_to_fit();
  return v;
}

namespace {

void check_same_grid(const Volume& first, const Volume& other) {
  FBD_CHECK(first.nx == other.nx && first.ny == other.ny && first.nz == other.nz, other.source, ": channel file is ",
            other.shape_str(), " but the image's first channel ", first.source, " is ", first.shape_str());
  FBD_CHECK(first.affine.max_abs_diff(other.affine) <= 1e-3, other.source,
            ": channel file's affine differs from the first channel's (", first.source, ") by ",
            first.affine.max_abs_diff(other.affine), " mm: they are not on one grid");
}

}  // namespace

Volume read_volume_channels(const std::vector<std::string>& paths) {
  FBD_CHECK(!paths.empty(), "read_volume_channels: no files");
  Volume v = read_volume(paths[0]);
  for (size_t i = 1; i < paths.size(); ++i) {
    Volume more = read_volume(paths[i]);
    check_same_grid(v, more);
    v.voxels.insert(v.voxels.end(), more.voxels.begin(), more.voxels.end());
    v.channels += more.channels;
  }
  return v;
}

Volume read_volume_channels_header(const std::vector<std::string>& paths) {
  FBD_CHECK(!paths.empty(), "read_volume_channels_header: no files");
  Volume v = read_volume_header(paths[0]);
  for (size_t i = 1; i < paths.size(); ++i) {
    const Volume more = read_volume_header(paths[i]);
    check_same_grid(v, more);
    v.channels += more.channels;
  }
  return v;
}

}  // namespace fbd::data
