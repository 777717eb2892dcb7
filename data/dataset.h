// Data sets on disk: which images and masks a folder holds, who the patients are, and a
// validation that lists every problem instead of stopping at the first.
//
// Layouts, tried in this order (docs/DATA.md):
//   1. DIR/manifest.csv with the header `image,mask,patient,label` (optional extra column
//      `edge`); paths relative to DIR; label benign, malignant or unknown (empty = unknown).
//   2. DIR/images/ and DIR/masks/ with matching names: images/NAME.{png,jpg,jpeg} and
//      masks/NAME.png (or masks/NAME_mask.png); optional DIR/edges/NAME.png.
//   3. DIR/NAME.{png,jpg,jpeg} with DIR/NAME_mask.png and any NAME_mask_1.png, NAME_mask_2.png,
//      ... (merged by OR), optional NAME_edge.png; also one level of subfolders, where a
//      folder called benign or malignant (any case) gives the label (the BUSI layout).
//   4. nnU-Net v2 raw: DIR/dataset.json, DIR/imagesTr/CASE_0000.nii.gz and
//      DIR/labelsTr/CASE.nii.gz (data/volume_dataset.h).
// A manifest row whose image is a NIfTI volume (.nii, .nii.gz) is a volume too. A volume is one
// patient's scan; it enters the data set as one case per slice holding tumour, sliced along the
// axis of largest spacing (data/volume_slices.h), and is listed whole in Dataset::volumes for
// the commands that work on whole volumes (predict, eval, check-data).
// Without a manifest every image is its own patient (noted in the problems as a warning,
// because then k-fold cannot keep a patient's slices together).
#pragma once
#include <string>
#include <vector>

#include "data/image.h"

namespace fbd::data {

enum class Label { Unknown, Benign, Malignant };
const char* label_name(Label l);  // "unknown", "benign", "malignant"
// Parses a label (case-insensitive; "" is unknown); false when the text is none of them.
bool parse_label(const std::string& text, Label& out);

// {first, more...}: an image's files, one per channel group.
inline std::vector<std::string> join_files(const std::string& first, const std::vector<std::string>& more) {
  std::vector<std::string> out{first};
  out.insert(out.end(), more.begin(), more.end());
  return out;
}

struct CaseEntry {
  std::string id;                  // unique in the data set (the image's name without extension)
  std::string image;               // full paths
  std::vector<std::string> masks;  // one or more, merged by OR; empty = missing
  std::string edge;                // "" = none (derived from the mask on load)
  std::string patient;
  Label label = Label::Unknown;
  // A slice of a volume: `image` and `masks[0]` are the volume files, and this case is slice
  // `slice` along voxel axis `slice_axis`. -1 for a 2-D image file.
  int64_t slice = -1;
  int slice_axis = 2;
  int mask_label = 0;  // VolumeOptions::mask_label the volume was read with
  std::string channels = "all";          // VolumeOptions::channels the volume was read with
  std::vector<std::string> more_images;  // a volume's channel files after `image` (_0001, ...)
  bool is_volume_slice() const { return slice >= 0; }
  std::vector<std::string> image_files() const { return join_files(image, more_images); }
};

// How volumes are read into a data set (fbd's --slice-axis and --mask-label).
struct VolumeOptions {
  int slice_axis = -1;  // 0, 1 or 2 (voxel axis i, j, k); -1: the axis of largest spacing
  // 0: masks must hold 0 and 1 only. K > 0: voxels labelled K are tumour and every other value
  // is background (one label of a multi-label mask, e.g. a lesion label beside organ labels).
  int mask_label = 0;
  // The input channels (data/channels.h): "all", or a list such as "0,1-0".
  std::string channels = "all";
};
// "auto", "i", "j", "k" (or "0", "1", "2") -> -1, 0, 1, 2; a one-line error otherwise.
int parse_slice_axis(const std::string& text);
std::string slice_axis_name(int axis);  // "auto", "i", "j", "k"


// One volume of a data set: an image and its mask on the same grid.
struct VolumeEntry {
  std::string id;  // the nnU-Net case name, or the image's name without .nii(.gz)
  std::string image, mask;
  std::vector<std::string> more_images;  // channel files after `image` (nnU-Net's _0001, ...)
  int64_t image_channels = 1;            // the channels the image holds, before --channels
  std::vector<std::string> image_files() const { return join_files(image, more_images); }
  std::string patient;
  Label label = Label::Unknown;
  int slice_axis = 2;
  int mask_label = 0;
  int64_t slices = 0;                  // along slice_axis
  std::string label_values;            // the mask's distinct values as read ("0 1"), before mask_label
  std::vector<int64_t> tumour_slices;  // those with a tumour voxel: the volume's cases
};

struct Problem {
  std::string where;  // a file, a case id or the folder ("" when `what` names the file itself)
  std::string what;
  bool error = true;  // false: a warning (training can go on)
  std::string str() const {
    return std::string(error ? "error: " : "warning: ") + (where.empty() ? what : where + ": " + what);
  }
};

struct Dataset {
  std::string root;
  std::string layout;  // "manifest", "images/masks", "flat" or "nnunet"
  std::vector<CaseEntry> cases;
  std::vector<VolumeEntry> volumes;  // empty for a data set of 2-D images
  VolumeOptions volume_options;      // what the volumes were read with
  int64_t channels = 1;              // input channels of every case (--channels applied; 1 for 2-D images)
  std::vector<Problem> problems;              // found while scanning (orphan masks, duplicate ids, bad rows)
  std::vector<std::string> patients() const;  // distinct patient ids, sorted
  const CaseEntry* find(const std::string& id) const;
  const VolumeEntry* find_volume(const std::string& id) const;
};

// Scans `dir` (see the layouts above). Throws only when `dir` is not a readable folder;
// everything else is recorded in `problems` (an empty folder is an error problem that names
// the layouts looked for).
Dataset scan_dataset(const std::string& dir, const VolumeOptions& volumes = {});

// One case in memory: the image in [0, 1], the masks merged (OR) as {0, 1}, the edge mask read
// or, when the case has none, derived from the mask with edges_from_mask(mask, edge_width).
// Throws a one-line error naming the file for anything unreadable, non-binary or mismatched.
// A volume slice comes out of its volume normalised (normalize_volume), through a small cache
// so that consecutive slices of one volume read it once.
Sample load_case(const CaseEntry& c, int edge_width = 1);

struct CaseStats {
  std::string id, patient;
  Label label = Label::Unknown;
  int64_t height = 0, width = 0;
  int bit_depth = 0;
  double foreground = 0.0;  // mask pixels / all pixels
  bool ok = false;          // loaded without an error problem
};

// One volume as `fbd check-data` reports it.
struct VolumeStats {
  std::string id, patient;
  std::string shape, spacing, orientation;  // "256x256x40", "0.70 x 0.70 x 2.00 mm", "LPS"
  int slice_axis = 2;
  int64_t slices = 0, tumour_slices = 0;
  std::string label_values;  // the mask's distinct values, "0 1"
  std::string channels;      // the input channels: "2", or "2 (1-0,1 of 3)" when --channels chose
  double tumour_ml = 0.0;
  bool ok = false;
};

struct CheckReport {
  std::vector<Problem> problems;  // scan problems first, then per-file ones
  std::vector<CaseStats> cases;
  std::vector<VolumeStats> volumes;
  size_t errors() const;
  size_t warnings() const;
  // The summary `fbd check-data` prints: counts, sizes, labels, foreground fractions.
  std::string summary(const Dataset& ds) const;
  std::string case_table() const;    // one line per case
  std::string volume_table() const;  // one line per volume ("" for a data set of 2-D images)
};

// Reads every file of the data set and checks: images decode; each image has a mask, of the
// same size, binary (0/1 or 0/255); edges the same size and binary; masks not empty (warning).
CheckReport check_dataset(const Dataset& ds);

}  // namespace fbd::data
