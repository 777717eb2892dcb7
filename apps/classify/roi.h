// The tumour region of interest the image classifiers see (paper Table 4's CNNs): on each slice
// with tumour (predicted, or the ground truth with --masks truth), the bounding box of the
// tumour pixels grown by a margin on every side, clipped to the image, cropped from the slice
// (normalised as the segmentation network's inputs are: min-max, then z-score over the whole
// slice, so a crop keeps its intensity relative to the slice). Each classifier resizes the crops
// to its square input (bilinear, pixel centres aligned; the aspect ratio is not kept).
//
// For alexnet-tl's pretraining without ImageNet weights, each tumour crop has a background
// partner from the same slice: a box of the same size whose centre lies in the breast and that
// does not meet the grown tumour box, at a position drawn from (seed, slice).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/image.h"

namespace fbd::app {

struct RoiOptions {
  bool crops = false;    // make the crops at all
  double margin = 0.25;  // added on every side, as a fraction of the box's longer side (rounded up)
  uint64_t seed = 1;     // of the background boxes
};
void check_roi_options(const RoiOptions& o);

// The smallest rectangle holding every pixel != 0 of an H x W mask; nullopt when there is none.
std::optional<data::Rect> mask_bounding_box(const uint8_t* mask, int64_t height, int64_t width);
// `box` grown by ceil(margin * max(box.h, box.w)) pixels on every side, clipped to the image.
data::Rect roi_rect(const data::Rect& box, double margin, int64_t height, int64_t width);
// The pixels of `img` in r (inside the image), resized to size x size (size 0: as they are).
data::Image roi_crop(const data::Image& img, const data::Rect& r, int64_t size);
// A box of r's size inside the image, not meeting r, whose centre pixel is breast; up to 64
// draws from `key`; nullopt when none fits.
std::optional<data::Rect> background_rect(const data::Rect& r, const uint8_t* breast, int64_t height, int64_t width,
                                          uint64_t key);

// The crops of one slice at their own size: `image` as loaded, `tumour` and `breast` H x W 0/1
// masks. No tumour pixel: no crops.
struct SliceRois {
  std::optional<data::Image> tumour, background;
};
SliceRois slice_rois(const data::Image& image, const uint8_t* tumour, const uint8_t* breast, const RoiOptions& o,
                     uint64_t key);

}  // namespace fbd::app
