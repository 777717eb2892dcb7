// DICOM MR series in, through GDCM (Debian libgdcm-dev): a folder of single-frame files (one
// series, or the one chosen by its SeriesInstanceUID), or one file, single- or multi-frame.
//
// Read: the files of the series are sorted by their position along the slice normal
// (ImagePositionPatient . (row cosine x column cosine)); the through-plane spacing is the step
// between those positions (never SliceThickness), which must be uniform (within 1% or 0.01 mm,
// whichever is larger); in-plane spacing is PixelSpacing (row spacing, column spacing).
// Voxel (i, j, k) = column i, row j of slice k; values are the stored ones times RescaleSlope
// plus RescaleIntercept (default 1 and 0), in float32. The affine is in NIfTI's RAS+ world, as
// dcm2niix and nibabel convert: the LPS affine with columns (row cosine * column spacing,
// column cosine * row spacing, normal * step) and origin the first slice's
// ImagePositionPatient, its first two rows negated; Volume::space holds it as qform and sform
// (code 1, scanner). A multi-frame file takes its per-frame positions, orientation, spacing
// and rescale from its functional groups (Enhanced MR). A single slice takes its
// through-plane spacing from SpacingBetweenSlices, else SliceThickness, else 1 mm.
// A 4-D series (DCE phases in one series: the same number of frames at every position) reads
// as a volume of that many channels, phase t of slice k at plane k + nz t; the frames at a
// position are ordered by TemporalPositionIdentifier (Enhanced MR: the frame's
// TemporalPositionIndex), then AcquisitionNumber, TriggerTime, AcquisitionTime and
// InstanceNumber, and must carry the same TemporalPositionIdentifiers at every position.
// Pixel data: whatever GDCM decodes (uncompressed in either byte order, deflate, RLE, JPEG
// baseline / extended / lossless, JPEG-LS, JPEG 2000).
// Errors (fbd::Error, one line, naming the file or folder): not a DICOM file, truncated or
// corrupt, a transfer syntax GDCM cannot decode (named), colour images, missing PixelSpacing,
// ImagePositionPatient or ImageOrientationPatient, slices that differ in size, orientation or
// spacing, positions holding different numbers of frames (a 4-D series with a frame missing, or
// a duplicate), two frames at one position with the same time tags, non-uniform steps (the gaps listed), a multi-frame
// file without per-frame positions, several series and no choice (each listed), an unknown series UID, more than
// max_volume_voxels() voxels (checked before the pixel data is read). Nothing is printed: GDCM's own messages are
// turned off.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "data/volume.h"

namespace fbd::data {

// True when the file starts with a DICOM preamble ("DICM" at byte 128): cheap, no parse.
bool is_dicom_file(const std::string& path);

struct DicomSeriesInfo {
  std::string uid, description, modality;
  size_t files = 0;
};

// The series in a folder (non-recursive; files that are not DICOM are ignored), sorted by uid.
std::vector<DicomSeriesInfo> list_dicom_series(const std::string& folder);

// A folder holding one series (or the one named by series_uid), or one DICOM file.
Volume read_dicom_series(const std::string& path, const std::string& series_uid = "");

}  // namespace fbd::data
