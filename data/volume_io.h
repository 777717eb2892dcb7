// Volumes from every source fbd reads, chosen by the path: NIfTI files (data/nifti.h) and DICOM
// series, a folder of slices or one file (data/dicom.h).
#pragma once
#include <string>
#include <vector>

#include "data/volume.h"

namespace fbd::data {

// A folder holding DICOM files (the first regular file with a DICOM preamble decides; not
// recursive).
bool is_dicom_folder(const std::string& path);

// .nii / .nii.gz, a DICOM file, or a folder of DICOM files.
bool is_volume_path(const std::string& path);

// A volume's name for ids and output files: a NIfTI file's name without .nii / .nii.gz and
// without nnU-Net's first-channel suffix _0000, a DICOM file's without its extension, a DICOM
// folder's name (also when given as "series/").
std::string volume_name(const std::string& path);

// nnU-Net's channel suffix on a file name without its extension: "CASE_0003" is channel 3 of
// case "CASE". A name without a four-digit _NNNN ending has channel -1 and case name = stem.
struct ChannelFileName {
  std::string case_name;
  int channel = -1;
};
ChannelFileName split_channel_suffix(const std::string& stem);

// The whole volume. `series_uid` chooses one series of a DICOM folder that holds several.
Volume read_volume(const std::string& path, const std::string& series_uid = "");

// Everything but the voxels. A NIfTI header is read alone; a DICOM series is read whole (its
// grid comes from every slice's position), then its voxels dropped.
Volume read_volume_header(const std::string& path, const std::string& series_uid = "");

// One image whose channels lie in several files (nnU-Net's CASE_0000, CASE_0001, ...): each
// file's channels in turn (a 4-D file gives all of its own), every file on the first one's
// grid (a one-line error naming both files otherwise). One path is read_volume(path).
Volume read_volume_channels(const std::vector<std::string>& paths);
// The same without the voxels: the first file's grid and the channels of all of them.
Volume read_volume_channels_header(const std::vector<std::string>& paths);

}  // namespace fbd::data
