#include "data/image.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace fbd::data {

Image::Image(int64_t h, int64_t w, float fill) : height(h), width(w), px(static_cast<size_t>(h * w), fill) {
  FBD_CHECK(h >= 0 && w >= 0, "image: negative size ", h, "x", w);
}

std::string Image::size_str() const { return std::to_string(height) + "x" + std::to_string(width); }

Image crop(const Image& img, const Rect& r) {
  Image out(r.h, r.w);
  for (int64_t y = 0; y < r.h; ++y) {
    const int64_t sy = r.y + y;
    if (sy < 0 || sy >= img.height) continue;
    for (int64_t x = 0; x < r.w; ++x) {
      const int64_t sx = r.x + x;
      if (sx >= 0 && sx < img.width) out.at(y, x) = img.at(sy, sx);
    }
  }
  return out;
}

void paste(Image& dst, const Image& src, const Rect& r) {
  FBD_CHECK(src.height == r.h && src.width == r.w, "paste: source is ", src.size_str(), ", rectangle ", r.h, "x", r.w);
  for (int64_t y = 0; y < r.h; ++y) {
    const int64_t dy = r.y + y;
    if (dy < 0 || dy >= dst.height) continue;
    for (int64_t x = 0; x < r.w; ++x) {
      const int64_t dx = r.x + x;
      if (dx >= 0 && dx < dst.width) dst.at(dy, dx) = src.at(y, x);
    }
  }
}

namespace {
// Source coordinate of output index i when n_in samples are resampled to n_out, with pixel
// centres aligned: (i + 0.5) * n_in / n_out - 0.5.
double source_coord(int64_t i, int64_t n_in, int64_t n_out) {
  return (double(i) + 0.5) * double(n_in) / double(n_out) - 0.5;
}
}  // namespace

Image resize_bilinear(const Image& img, int64_t h, int64_t w) {
  FBD_CHECK(h > 0 && w > 0 && !img.empty(), "resize: cannot resize ", img.size_str(), " to ", h, "x", w);
  Image out(h, w);
  for (int64_t y = 0; y < h; ++y) {
    const double sy = std::clamp(source_coord(y, img.height, h), 0.0, double(img.height - 1));
    const int64_t y0 = int64_t(sy), y1 = std::min(y0 + 1, img.height - 1);
    const float fy = float(sy - double(y0));
    for (int64_t x = 0; x < w; ++x) {
      const double sx = std::clamp(source_coord(x, img.width, w), 0.0, double(img.width - 1));
      const int64_t x0 = int64_t(sx), x1 = std::min(x0 + 1, img.width - 1);
      const float fx = float(sx - double(x0));
      const float top = img.at(y0, x0) + fx * (img.at(y0, x1) - img.at(y0, x0));
      const float bottom = img.at(y1, x0) + fx * (img.at(y1, x1) - img.at(y1, x0));
      out.at(y, x) = top + fy * (bottom - top);
    }
  }
  return out;
}

Image resize_nearest(const Image& img, int64_t h, int64_t w) {
  FBD_CHECK(h > 0 && w > 0 && !img.empty(), "resize: cannot resize ", img.size_str(), " to ", h, "x", w);
  Image out(h, w);
  for (int64_t y = 0; y < h; ++y) {
    const int64_t sy =
        std::min(int64_t(std::floor((double(y) + 0.5) * double(img.height) / double(h))), img.height - 1);
    for (int64_t x = 0; x < w; ++x) {
      const int64_t sx =
          std::min(int64_t(std::floor((double(x) + 0.5) * double(img.width) / double(w))), img.width - 1);
      out.at(y, x) = img.at(sy, sx);
    }
  }
  return out;
}

double mean_value(const Image& img) {
  if (img.empty()) return 0.0;
  double s = 0.0;
  for (float v : img.px) s += v;
  return s / double(img.numel());
}

bool is_binary(const Image& img) {
  return std::all_of(img.px.begin(), img.px.end(), [](float v) { return v == 0.0f || v == 1.0f; });
}

Tensor to_tensor(const Image& img) { return Tensor::from_data(img.px.data(), {1, 1, img.height, img.width}); }

const Image& channel(const Sample& s, int64_t c) {
  FBD_CHECK(c >= 0 && c < s.channels(), s.id, ": no channel ", c, " (the image has ", s.channels(), ")");
  return c == 0 ? s.image : s.more_channels[size_t(c - 1)];
}

Image from_tensor(const Tensor& t) {
  const Shape& s = t.shape();
  const int d = t.dim();
  FBD_CHECK(d >= 2 && d <= 4 && (d < 3 || s[0] == 1) && (d < 4 || s[1] == 1),
            "from_tensor: expected (H,W), (1,H,W) or (1,1,H,W), got ", shape_str(s));
  Image img(s[size_t(d - 2)], s[size_t(d - 1)]);
  const std::vector<float> v = t.to_dtype(DType::F32).to_vector<float>();
  std::copy(v.begin(), v.end(), img.px.begin());
  return img;
}

}  // namespace fbd::data
