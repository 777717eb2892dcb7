#include "apps/classify/roi.h"

#include <algorithm>
#include <cmath>

#include "apps/train/run_data.h"
#include "core/error.h"
#include "data/random.h"

namespace fbd::app {

void check_roi_options(const RoiOptions& o) {
  FBD_CHECK(o.margin >= 0 && o.margin <= 4 && std::isfinite(o.margin), "--roi-margin must be in [0, 4], got ",
            o.margin);
}

std::optional<data::Rect> mask_bounding_box(const uint8_t* mask, int64_t height, int64_t width) {
  int64_t y0 = height, y1 = -1, x0 = width, x1 = -1;
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x)
      if (mask[y * width + x] != 0) y0 = std::min(y0, y), y1 = std::max(y1, y), x0 = std::min(x0, x), x1 = std::max(x1, x);
  if (y1 < 0) return std::nullopt;
  return data::Rect{y0, x0, y1 - y0 + 1, x1 - x0 + 1};
}

data::Rect roi_rect(const data::Rect& box, double margin, int64_t height, int64_t width) {
  const int64_t grow = int64_t(std::ceil(margin * double(std::max(box.h, box.w)) - 1e-9));
  const int64_t y0 = std::max<int64_t>(0, box.y - grow), x0 = std::max<int64_t>(0, box.x - grow);
  const int64_t y1 = std::min(height, box.y + box.h + grow), x1 = std::min(width, box.x + box.w + grow);
  return {y0, x0, y1 - y0, x1 - x0};
}

data::Image roi_crop(const data::Image& img, const data::Rect& r, int64_t size) {
  FBD_CHECK(r.h > 0 && r.w > 0 && r.y >= 0 && r.x >= 0 && r.y + r.h <= img.height && r.x + r.w <= img.width,
            "roi_crop: box ", r.h, "x", r.w, " at (", r.y, ", ", r.x, ") is not inside the ", img.size_str(), " image");
  const data::Image c = data::crop(img, r);
  return size == 0 || (c.height == size && c.width == size) ? c : data::resize_bilinear(c, size, size);
}

std::optional<data::Rect> background_rect(const data::Rect& r, const uint8_t* breast, int64_t height, int64_t width,
                                          uint64_t key) {
  if (r.h > height || r.w > width) return std::nullopt;
  data::SampleRandom rng(key);
  for (int attempt = 0; attempt < 64; ++attempt) {
    const data::Rect b{rng.integer(0, height - r.h), rng.integer(0, width - r.w), r.h, r.w};
    const bool meets = b.y < r.y + r.h && r.y < b.y + b.h && b.x < r.x + r.w && r.x < b.x + b.w;
    if (!meets && breast[(b.y + b.h / 2) * width + b.x + b.w / 2] != 0) return b;
  }
  return std::nullopt;
}

SliceRois slice_rois(const data::Image& image, const uint8_t* tumour, const uint8_t* breast, const RoiOptions& o,
                     uint64_t key) {
  SliceRois out;
  if (!o.crops) return out;
  const std::optional<data::Rect> box = mask_bounding_box(tumour, image.height, image.width);
  if (!box) return out;
  data::Image normalised = image;
  normalize_for_network(normalised);
  const data::Rect r = roi_rect(*box, o.margin, image.height, image.width);
  out.tumour = roi_crop(normalised, r, 0);
  if (const std::optional<data::Rect> b = background_rect(r, breast, image.height, image.width, key))
    out.background = roi_crop(normalised, *b, 0);
  return out;
}

}  // namespace fbd::app
