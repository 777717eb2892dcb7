// NIfTI-1 and NIfTI-2 volumes in and out, through nifti_clib (Debian libnifti2-dev): .nii,
// .nii.gz and .hdr/.img pairs.
//
// Read: voxel types int8, uint8, int16, uint16, int32, uint32, float32 and float64 become
// float32 with scl_slope / scl_inter applied (slope 0 means none, as the standard says);
// pixdim[1..3] is the spacing; qform and sform are kept field by field (Volume::space) and
// the affine is chosen as nibabel does (sform, else qform, else the spacing alone). A fourth
// axis becomes channels; more than four used axes are an error.
// Errors (fbd::Error, one line, naming the file): missing or unreadable file, truncated data
// (.nii.gz included), not a NIfTI header, dim[0] outside 1..7, a non-positive size, an
// unsupported datatype (complex, RGB, int64...), a bad vox_offset (below 352 / 544 in a
// single-file NIfTI-1 / -2, or past the end of the file), NaN or infinite voxels (nifti_clib
// would silently turn them into 0: fbd reads the voxel bytes itself), more than
// max_volume_voxels() voxels (checked from the header, before the data is read).
//
// Write: atomically (a temporary file beside the target, read back and checked, then renamed: a
// crash or a failed write leaves the old file or none). .nii or .nii.gz only (.nii.gz
// compresses by the name), NIfTI-1 (NIfTI-2 only for an axis over 32767). NaN or infinite
// voxels are refused (fbd would refuse to read them back).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/volume.h"

namespace fbd::data {

// The most voxels (all channels) one volume may have: 2^30 unless the environment variable
// FBD_MAX_VOXELS gives another positive number (a bad value is a one-line error).
inline constexpr int64_t kDefaultMaxVolumeVoxels = int64_t(1) << 30;
int64_t max_volume_voxels();

// True when the name ends in .nii, .nii.gz, .hdr or .img (case-insensitive).
bool is_nifti_path(const std::string& path);

// The whole volume.
Volume read_nifti(const std::string& path);
// The header only: everything but `voxels` (left empty). Reads only the header's bytes (and
// refuses the same headers read_nifti refuses).
Volume read_nifti_header(const std::string& path);

enum class NiftiDtype { UInt8, Int16, Float32 };

// Writes `v` (its shape, channels, spacing and space: qform and sform exactly as they are in
// v.space) with voxels stored as `dtype` (rounded to nearest and clamped to the type's range
// for the integer types). Throws on a bad path or a failed write; the target is then untouched.
void write_nifti(const std::string& path, const Volume& v, NiftiDtype dtype = NiftiDtype::Float32);

// A uint8 mask on `grid`'s grid and header (one channel: grid.nx * grid.ny * grid.nz values).
void write_nifti_mask(const std::string& path, const std::vector<uint8_t>& mask, const Volume& grid);

// Fills v.space from v.affine (sform and qform both set, codes `code`, default 1 = scanner),
// for grids that did not come from a NIfTI header (the phantom, DICOM).
void set_space_from_affine(Volume& v, int code = 1);

}  // namespace fbd::data
