// Binary morphology and the small image-analysis tools the pipeline needs: edge ground truth
// from a mask, connected components, hole filling and Otsu's threshold.
//
// Structuring element: a (2r + 1) x (2r + 1) square (so radius r reaches r pixels in x, y and
// diagonally). Beyond the image border the nearest pixel is repeated, so a mask that touches
// the border gets no edge along the border (it is not a boundary of the object).
#pragma once
#include <cstdint>
#include <vector>

#include "data/image.h"

namespace fbd::data {

Image dilate(const Image& mask, int radius);  // max over the square; radius 0 returns a copy
Image erode(const Image& mask, int radius);   // min over the square

// Edge ground truth (where a data set has no annotated edges): the morphological gradient
// dilate(m, a) AND NOT erode(m, b) with a = width / 2 and b = width - a, a band `width` pixels
// wide straddling the boundary (width 1: the mask's own boundary pixels, those with a
// background pixel among their 8 neighbours). width must be >= 1.
Image edges_from_mask(const Image& mask, int width = 1);

// 8-connected components of the pixels != 0: label[i] in 1..count (0: background) and
// sizes[id] the pixel count of component id (sizes[0] = 0). Returns count.
int label_components(const Image& binary, std::vector<int32_t>& label, std::vector<int64_t>& sizes);
// The largest 8-connected component of the pixels != 0 (all zeros when there is none; ties:
// the first in raster order).
Image largest_component(const Image& binary);
// The pixels != 0 of the 8-connected components of at least min_pixels pixels.
Image remove_small_components(const Image& binary, int64_t min_pixels);
// Sets to 1 every 0-pixel not 4-connected to the image border (holes inside objects).
Image fill_holes(const Image& binary);

// Otsu's threshold over a 256-bin histogram of [min, max] of the image: the value that
// maximises the between-class variance. Returns min for a constant image.
float otsu_threshold(const Image& img);

}  // namespace fbd::data
