// Volume data sets: NIfTI volumes entering a Dataset (data/dataset.h) as one case per slice
// with tumour, and the cached, checked, normalised image/mask pairs those cases load from.
#pragma once
#include <memory>
#include <string>

#include "data/dataset.h"
#include "data/volume.h"

namespace fbd::data {

// A volume's image (normalised per volume, data/volume_slices.h) and its mask ({0, 1}, one
// channel), checked to share one grid.
struct VolumePair {
  Volume image, mask;
};

// Reads, checks and normalises a pair. Throws a one-line error naming both files when the
// grids differ (shape, or affines more than 1e-3 mm apart) and naming the mask when it holds
// values other than 0 and 1. The last two pairs read stay cached (thread-safe), so the slices
// of one volume, loaded one after another, read its files once.
std::shared_ptr<const VolumePair> load_volume_pair(const std::string& image, const std::string& mask);

// The mask's problem as text ("" when it holds only 0 and 1): "values 0 1 2 (a mask must hold
// 0 and 1 only)". `values` receives the distinct values, at most 16.
std::string mask_label_problem(const Volume& mask, std::string* values = nullptr);

// Adds one volume to `ds`: reads the image's header and the mask, checks the grid and the
// labels, and appends v (with its slice axis, slice count and tumour slices filled) to
// ds.volumes and one case per tumour slice to ds.cases. A problem is recorded under `where`
// (the manifest line, or the file) instead of throwing.
void add_volume(Dataset& ds, VolumeEntry v, const std::string& where);

// Layout 4, nnU-Net v2 raw (DIR/dataset.json, imagesTr/, labelsTr/): one volume per case,
// each its own patient with an unknown label. Channels other than _0000 are reported as a
// warning and not read.
void scan_nnunet(Dataset& ds, const std::string& root);

}  // namespace fbd::data
