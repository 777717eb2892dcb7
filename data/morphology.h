// Binary morphology and the small image-analysis tools the pipeline needs: edge ground truth
// from a mask, connected components, hole filling and Otsu's threshold.
//
// Structuring element: a (2r + 1) x (2r + 1) square (so radius r reaches r pixels in x, y and
// diagonally). Beyond the image border the nearest pixel is repeated, so a mask that touches
// the border gets no edge along the border (it is not a boundary of the object).
#pragma once
#include "data/image.h"

namespace fbd::data {

Image dilate(const Image& mask, int radius);  // max over the square; radius 0 returns a copy
Image erode(const Image& mask, int radius);   // min over the square

// Edge ground truth (where a data set has no annotated edges): the morphological gradient
// dilate(m, a) AND NOT erode(m, b) with a = width / 2 and b = width - a, a band `width` pixels
// wide straddling the boundary (width 1: the mask's own boundary pixels, those with a
// background pixel among their 8 neighbours). width must be >= 1.
Image edges_from_mask(const Image& mask, int width = 1);

// The largest 8-connected component of the pixels != 0 (all zeros when there is none).
Image largest_component(const Image& binary);
// Sets to 1 every 0-pixel not 4-connected to the image border (holes inside objects).
Image fill_holes(const Image& binary);

// Otsu's threshold over a 256-bin histogram of [min, max] of the image: the value that
// maximises the between-class variance. Returns min for a constant image.
float otsu_threshold(const Image& img);

}  // namespace fbd::data
