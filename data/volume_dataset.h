// Volume data sets: NIfTI volumes entering a Dataset (data/dataset.h) as one case per slice
// with tumour, and the cached, checked, normalised image/mask pairs those cases load from.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/volume.h"

namespace fbd::data {

// A volume's image (its --channels selected, each normalised per volume: data/channels.h,
// data/volume_slices.h) and its mask ({0, 1}, one channel), checked to share one grid.
struct VolumePair {
  Volume image, mask;
};

// Reads, checks and normalises a pair: `images` are the image's channel files (one, or
// nnU-Net's _0000, _0001, ...), `channels` a data/channels.h spec. Throws a one-line error
// naming both files when the
// grids differ (shape, or affines more than 1e-3 mm apart) and naming the mask when it holds
// values other than 0 and 1 (mask_label 0), or non-integer values (mask_label K > 0: voxels
// equal to K become 1, all others 0). The last two pairs read stay cached (thread-safe), so
// the slices of one volume, loaded one after another, read its files once.
std::shared_ptr<const VolumePair> load_volume_pair(const std::vector<std::string>& images, const std::string& mask,
                                                   int mask_label = 0, const std::string& channels = "all");

// The mask's problem as text ("" when it is usable): with mask_label 0, "values 0 1 2 (a mask
// must hold 0 and 1 only; --mask-label K takes label K as the tumour)"; with K > 0, values that
// are not whole numbers. `values` receives the distinct values, at most 16.
std::string mask_label_problem(const Volume& mask, std::string* values = nullptr, int mask_label = 0);

// mask_label K > 0: voxels equal to K become 1, all others 0; 0: unchanged.
void select_mask_label(Volume& mask, int mask_label);

// Adds one volume to `ds` as ds.volume_options say: reads the image's headers and the mask,
// checks the grid, the labels and the channels (--channels must find its channels, and every
// volume must give ds.channels of them), and appends v (with its slice axis, slice count and tumour slices filled) to
// ds.volumes and one case per tumour slice to ds.cases. A problem is recorded under `where`
// (the manifest line, or the file) instead of throwing.
void add_volume(Dataset& ds, VolumeEntry v, const std::string& where);

// Layout 4, nnU-Net v2 raw (DIR/dataset.json, imagesTr/, labelsTr/): one volume per case,
// each its own patient with an unknown label. CASE_0000, CASE_0001, ... are the channels of one
// image, in that order (dataset.json's channel_names names them); a case missing one of
// them is an error.
void scan_nnunet(Dataset& ds, const std::string& root);

}  // namespace fbd::data
