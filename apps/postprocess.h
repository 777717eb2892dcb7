// Post-processing of predicted binary masks (fbd predict --largest / --min-size / --fill-holes):
// the paper notes that stray false-positive blobs sit apart from the tumour and "can be easily
// removed using morphology operation". Foreground connectivity is 8-neighbour, background
// 4-neighbour (the usual digital-topology pair, so a one-pixel diagonal gap does not split a
// hole from the outside).
#pragma once
#include <cstdint>
#include <vector>

namespace fbd::app {

// Labels 1..count of the foreground components of an H x W mask (0 = background), with
// `connectivity` 4 or 8. Returns count.
int label_components(const uint8_t* mask, int64_t height, int64_t width, int connectivity,
                     std::vector<int32_t>& labels);

// Keeps only the largest 8-connected foreground component (ties: the first in raster order).
void keep_largest_component(uint8_t* mask, int64_t height, int64_t width);
// Removes 8-connected components smaller than min_pixels.
void remove_small_components(uint8_t* mask, int64_t height, int64_t width, int64_t min_pixels);
// Fills background regions (4-connected) that do not touch the image border.
void fill_holes(uint8_t* mask, int64_t height, int64_t width);

}  // namespace fbd::app
