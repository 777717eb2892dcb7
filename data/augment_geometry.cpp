// Geometric augmentations: flips, rotation, resize and the general inverse-map warp they and
// the elastic transform share.
#include <cmath>
#include <numbers>

#include "core/error.h"
#include "data/augment.h"

namespace fbd::data {

namespace {

// Bilinear sample with zeros outside the image.
float sample_bilinear(const Image& img, float sy, float sx) {
  const float fy = std::floor(sy), fx = std::floor(sx);
  const int64_t y0 = int64_t(fy), x0 = int64_t(fx);
  const float ay = sy - fy, ax = sx - fx;
  auto px = [&](int64_t y, int64_t x) {
    return (y >= 0 && y < img.height && x >= 0 && x < img.width) ? img.at(y, x) : 0.0f;
  };
  if (y0 >= 0 && y0 + 1 < img.height && x0 >= 0 && x0 + 1 < img.width) {
    const float* r0 = &img.px[size_t(y0 * img.width + x0)];
    const float* r1 = r0 + img.width;
    const float top = r0[0] + ax * (r0[1] - r0[0]);
    const float bottom = r1[0] + ax * (r1[1] - r1[0]);
    return top + ay * (bottom - top);
  }
  const float top = px(y0, x0) * (1.0f - ax) + px(y0, x0 + 1) * ax;
  const float bottom = px(y0 + 1, x0) * (1.0f - ax) + px(y0 + 1, x0 + 1) * ax;
  return top * (1.0f - ay) + bottom * ay;
}

// Nearest sample (round half up) with zeros outside: keeps a binary image binary.
float sample_nearest(const Image& img, float sy, float sx) {
  const int64_t y = int64_t(std::floor(sy + 0.5f)), x = int64_t(std::floor(sx + 0.5f));
  return (y >= 0 && y < img.height && x >= 0 && x < img.width) ? img.at(y, x) : 0.0f;
}

Image warp_one(const Image& img, int64_t H, int64_t W, const std::vector<float>& sy, const std::vector<float>& sx,
               bool binary) {
  Image out(H, W);
  for (size_t i = 0; i < out.px.size(); ++i)
    out.px[i] = binary ? sample_nearest(img, sy[i], sx[i]) : sample_bilinear(img, sy[i], sx[i]);
  return out;
}

void flip_image(Image& img, bool horizontal) {
  const int64_t H = img.height, W = img.width;
  if (horizontal) {
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W / 2; ++x) std::swap(img.at(y, x), img.at(y, W - 1 - x));
  } else {
    for (int64_t y = 0; y < H / 2; ++y)
      for (int64_t x = 0; x < W; ++x) std::swap(img.at(y, x), img.at(H - 1 - y, x));
  }
}

}  // namespace

void warp(Sample& s, int64_t height, int64_t width, const std::vector<float>& src_y, const std::vector<float>& src_x) {
  const size_t n = static_cast<size_t>(height * width);
  FBD_CHECK(src_y.size() == n && src_x.size() == n, "warp: maps hold ", src_y.size(), " and ", src_x.size(),
            " points for a ", height, "x", width, " output");
  s.for_each_channel([&](Image& c) { c = warp_one(c, height, width, src_y, src_x, false); });
  if (!s.mask.empty()) s.mask = warp_one(s.mask, height, width, src_y, src_x, true);
  if (!s.edge.empty()) s.edge = warp_one(s.edge, height, width, src_y, src_x, true);
}

void flip(Sample& s, bool horizontal) {
  s.for_each_channel([&](Image& c) { flip_image(c, horizontal); });
  if (!s.mask.empty()) flip_image(s.mask, horizontal);
  if (!s.edge.empty()) flip_image(s.edge, horizontal);
}

void rotate(Sample& s, double degrees) {
  const int64_t H = s.image.height, W = s.image.width;
  double c = std::cos(degrees * std::numbers::pi / 180.0), sn = std::sin(degrees * std::numbers::pi / 180.0);
  const double quarter = degrees / 90.0;
  if (quarter == std::round(quarter)) {  // exact for multiples of 90 degrees
    c = std::round(c);
    sn = std::round(sn);
  }
  const double cy = (double(H) - 1.0) / 2.0, cx = (double(W) - 1.0) / 2.0;
  std::vector<float> sy(static_cast<size_t>(H * W)), sx(sy.size());
  for (int64_t y = 0; y < H; ++y)
    for (int64_t x = 0; x < W; ++x) {
      // Display coordinates have y pointing down, so a counter-clockwise turn of the content
      // takes source s to d = (c sx + s sy, -s sx + c sy); its inverse gives the source of d.
      const double dx = double(x) - cx, dy = double(y) - cy;
      sx[size_t(y * W + x)] = float(cx + c * dx - sn * dy);
      sy[size_t(y * W + x)] = float(cy + sn * dx + c * dy);
    }
  warp(s, H, W, sy, sx);
}

void resize(Sample& s, int64_t height, int64_t width) {
  if (s.image.height == height && s.image.width == width) return;
  s.for_each_channel([&](Image& c) { c = resize_bilinear(c, height, width); });
  if (!s.mask.empty()) s.mask = resize_nearest(s.mask, height, width);
  if (!s.edge.empty()) s.edge = resize_nearest(s.edge, height, width);
}

}  // namespace fbd::data
