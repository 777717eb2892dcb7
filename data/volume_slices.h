// From volumes to the 2-D slices the networks see, and back: choosing the slice axis, taking a
// slice out, putting a predicted slice back, and the per-volume intensity normalisation.
//
// The slice along axis a is the 2-D image of the other two voxel axes p < q: columns run along
// p, rows along q. Along k (the usual axial stack) that is row j, column i, the same raster a
// viewer's axial pane shows before its display flips.
#pragma once
#include <cstdint>
#include <vector>

#include "data/image.h"
#include "data/volume.h"

namespace fbd::data {

// The axis of largest spacing (the through-plane one of an anisotropic scan); on a tie the
// last of the tied axes, so an isotropic volume is sliced along k.
int auto_slice_axis(const Volume& v);

// Slices along `axis` (0, 1 or 2), and the height and width of each.
int64_t slice_count(const Volume& v, int axis);
int64_t slice_height(const Volume& v, int axis);
int64_t slice_width(const Volume& v, int axis);

// Slice `index` of channel `channel`.
Image extract_slice(const Volume& v, int axis, int64_t index, int64_t channel = 0);

// Slice `index` of every channel: channel 0 as the sample's image, the others as its
// more_channels. Id, mask and edge are the caller's.
Sample extract_sample(const Volume& v, int axis, int64_t index);

// Writes a slice-sized binary image (nonzero = 1) into a one-channel uint8 volume of v's grid
// (v.nx * v.ny * v.nz bytes).
void insert_slice(std::vector<uint8_t>& dst, const Volume& grid, int axis, int64_t index, const Image& slice);

// MRI has no absolute intensity unit, so each volume is normalised on its own: every channel is
// clipped to its [0.5, 99.5] percentile range and mapped linearly onto [0, 1] (the range every
// loaded image of fbd lies in, which the augmentations assume; the loader's z-score follows).
// A channel whose range is empty becomes all zero.
void normalize_volume(Volume& v, double low_percentile = 0.5, double high_percentile = 99.5);

}  // namespace fbd::data
