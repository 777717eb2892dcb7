// Host-side 2-D images for the data pipeline: a float32 raster (row-major, H x W) and a
// training sample (image, mask, optional edge mask).
//
// Conventions used everywhere in data/:
//   - images are float32; as loaded they lie in [0, 1] (raw value / (2^bits - 1));
//   - masks and edges are float32 {0, 1} (the losses' convention, losses/mask.h);
//   - an Image with no pixels (0 x 0) means "absent" (a sample without an edge mask).
// The pipeline works on these per sample in worker threads; the loader turns batches of them
// into (N, 1, H, W) tensors.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace fbd::data {

struct Image {
  int64_t height = 0, width = 0;
  std::vector<float> px;  // height * width values, row-major

  Image() = default;
  Image(int64_t h, int64_t w, float fill = 0.0f);

  bool empty() const { return height == 0 || width == 0; }
  int64_t numel() const { return height * width; }
  float& at(int64_t y, int64_t x) { return px[static_cast<size_t>(y * width + x)]; }
  float at(int64_t y, int64_t x) const { return px[static_cast<size_t>(y * width + x)]; }
  bool same_size(const Image& o) const { return height == o.height && width == o.width; }
  std::string size_str() const;  // "HxW"
};

// One training example. `edge` is empty when the data set has none and none was derived.
// A multi-channel image (DCE phases, a subtraction image: data/channels.h) keeps channel 0 in
// `image` and channels 1, 2, ... in `more_channels`, each the size of `image`: every step of
// the pipeline that reads intensities treats each channel alike (for_each_channel), every
// geometric one moves them all with the image, and the loader stacks them as (N, C, H, W).
struct Sample {
  Image image, mask, edge;
  std::string id;
  std::vector<Image> more_channels;

  int64_t channels() const { return 1 + int64_t(more_channels.size()); }
  // Calls f(Image&) on channel 0, 1, ...
  template <class F>
  void for_each_channel(F&& f) {
    f(image);
    for (Image& c : more_channels) f(c);
  }
};

// Rectangle [y, y + h) x [x, x + w); may reach outside an image.
struct Rect {
  int64_t y = 0, x = 0, h = 0, w = 0;
  friend bool operator==(const Rect&, const Rect&) = default;
};

// The pixels of `r`, zero where r lies outside `img`.
Image crop(const Image& img, const Rect& r);
// Writes `src` into `dst` at r.y, r.x (src has r's size), skipping pixels outside dst.
void paste(Image& dst, const Image& src, const Rect& r);

// Bilinear resize of an image (pixel centres aligned, as OpenCV's INTER_LINEAR) and nearest
// resize of a binary mask (so it stays binary).
Image resize_bilinear(const Image& img, int64_t h, int64_t w);
Image resize_nearest(const Image& img, int64_t h, int64_t w);

// Sum of the pixels over the pixel count (the foreground fraction of a mask).
double mean_value(const Image& img);
// True when every value is exactly 0 or 1.
bool is_binary(const Image& img);

// A (1, 1, H, W) float32 CPU tensor holding the image, and back (from (H,W), (1,H,W) or
// (1,1,H,W)).
Tensor to_tensor(const Image& img);
// Channel c of a multi-channel image: 0 is s.image, c > 0 is s.more_channels[c - 1].
const Image& channel(const Sample& s, int64_t c);
Image from_tensor(const Tensor& t);

}  // namespace fbd::data
