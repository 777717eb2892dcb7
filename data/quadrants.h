// Automatic division of breast quadrants (paper, "Automatic Division of Breast Quadrants",
// Fig. 5): find the body and its left-right symmetry axis, split the slice into four
// quadrants, train on the quadrant(s) holding the tumour, and at inference run on all four and
// stitch the predictions back to full size.
//
// Body: the largest connected region above half of Otsu's threshold of the lightly blurred
// slice, holes filled. Axis: the vertical line (whole or half pixel) about which the body mask
// best matches its own mirror image. Split row: the deepest point of the body's anterior
// (top) outline within W/16 of the axis, i.e. the cleft between the breasts, where the breasts
// meet the chest wall; clamped to [H/4, 3H/4].
//
// Quadrants are numbered as the paper counts them, as displayed: 1 top right, 2 top left,
// 3 bottom left, 4 bottom right; the breasts lie in 1 and 2. Every quadrant is a window of
// ceil(H/2) x ceil(W/2) pixels with a corner at the split point (zero outside the image), so all
// quadrants of a data set have one size and batch together. When the split point is not the
// image centre the four windows do not cover a strip at the image border; stitch() predicts
// background there (it is air or the back of the thorax, never breast).
#pragma once
#include <array>
#include <vector>

#include "data/image.h"

namespace fbd::data {

struct BodyAxis {
  bool found = false;   // false: no body (a blank slice); axis and split are then the centre
  double axis_x = 0.0;  // column of the symmetry axis (x + 0.5 lies between columns x and x + 1)
  int64_t split_y = 0;  // first row of the bottom quadrants
  double symmetry = 0;  // fraction of body pixels whose mirror image is body (1 = symmetric)
  Image body;           // the body mask
};

BodyAxis find_body_axis(const Image& img);

// An estimate of the breasts: the body mask above the split row (the cleft between the breasts,
// where they meet the chest wall), so that the thorax below is left out. {0, 1}, the image's
// size; all zero for a blank slice. The paper's volume ratio divides the tumour by this. On the
// phantom it is checked against the true breast mask (tests/data/test_quadrants.cpp): Dice 0.84
// (the whole body: 0.67), the breast base that lies below the cleft row, beside the chest wall,
// being missed. On real MRI the pectoral muscle's curve above the cleft row is counted as breast.
Image breast_mask(const BodyAxis& a);
Image breast_mask(const Image& img);  // from find_body_axis

struct QuadrantLayout {
  int64_t height = 0, width = 0;     // of the full slice
  int64_t split_y = 0, split_x = 0;  // rows < split_y are top; columns < split_x are left
  std::array<Rect, 4> rects;         // quadrant q (1..4) is rects[q - 1]
};

QuadrantLayout quadrant_layout(int64_t height, int64_t width, int64_t split_y, int64_t split_x);
QuadrantLayout quadrant_layout(const Image& img);  // from find_body_axis
// split_x for an axis: the columns left of the axis are the left half.
int64_t split_column(double axis_x);

// Quadrants (1..4) holding foreground pixels of `mask`, ascending.
std::vector<int> tumour_quadrants(const QuadrantLayout& q, const Image& mask);

// The four quadrants of an image (zero-padded where a window leaves the image).
std::array<Image, 4> split_quadrants(const QuadrantLayout& q, const Image& img);
// The full-size image from four quadrant predictions (0 where no window reaches).
Image stitch_quadrants(const QuadrantLayout& q, const std::array<Image, 4>& parts);

// Training samples: the quadrants of `s` that hold tumour (all four when keep_all), each with
// image, mask and edge cropped alike and id "<id>_q<N>".
std::vector<Sample> quadrant_samples(const Sample& s, const QuadrantLayout& q, bool keep_all = false);

}  // namespace fbd::data
