#include "data/quadrants.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "data/augment.h"
#include "data/morphology.h"

namespace fbd::data {

namespace {

// For mirror index m = 2c (c the axis), the number of body pixels (y, x) whose mirror
// (y, m - x) is also body. Rows are scanned as runs of body pixels to keep this cheap.
int64_t mirror_overlap(const Image& body, int64_t m) {
  int64_t n = 0;
  const int64_t W = body.width;
  for (int64_t y = 0; y < body.height; ++y) {
    const float* row = &body.px[size_t(y * W)];
    const int64_t lo = std::max<int64_t>(0, m - (W - 1)), hi = std::min<int64_t>(W - 1, m);
    for (int64_t x = lo; x <= hi; ++x) n += (row[x] != 0.0f) & (row[m - x] != 0.0f);
  }
  return n;
}

}  // namespace

int64_t split_column(double axis_x) { return int64_t(std::floor(axis_x)) + 1; }

BodyAxis find_body_axis(const Image& img) {
  FBD_CHECK(!img.empty(), "find_body_axis: empty image");
  const int64_t H = img.height, W = img.width;
  BodyAxis r;
  r.axis_x = (double(W) - 1.0) / 2.0;
  r.split_y = H / 2;
  Image smooth = img;
  gaussian_blur(smooth, 5);
  const float lo = *std::min_element(smooth.px.begin(), smooth.px.end());
  const float t = lo + 0.5f * (otsu_threshold(smooth) - lo);
  Image fg(H, W);
  for (size_t i = 0; i < fg.px.size(); ++i) fg.px[i] = smooth.px[i] > t ? 1.0f : 0.0f;
  r.body = fill_holes(largest_component(fg));
  int64_t area = 0;
  for (float v : r.body.px) area += v != 0.0f;
  if (area < H * W / 50) return r;  // under 2% of the slice: no body worth the name
  r.found = true;

  // Axis: best mirror overlap over m = 2c for c in [W/4, 3W/4] (half-pixel steps).
  int64_t best_m = W - 1, best = -1;
  for (int64_t m = (W - 1) / 2; m <= (3 * (W - 1)) / 2; ++m) {
    const int64_t n = mirror_overlap(r.body, m);
    // Ties go to the candidate nearest the centre.
    if (n > best || (n == best && std::llabs(m - (W - 1)) < std::llabs(best_m - (W - 1)))) {
      best = n;
      best_m = m;
    }
  }
  r.axis_x = double(best_m) / 2.0;
  r.symmetry = double(best) / double(area);

  // Split row: the deepest first-body row within W/16 of the axis.
  const int64_t cx = int64_t(std::lround(r.axis_x)), reach = std::max<int64_t>(1, W / 16);
  int64_t deepest = -1;
  for (int64_t x = std::max<int64_t>(0, cx - reach); x <= std::min<int64_t>(W - 1, cx + reach); ++x) {
    int64_t y = 0;
    while (y < H && r.body.at(y, x) == 0.0f) ++y;
    if (y < H) deepest = std::max(deepest, y);
  }
  if (deepest >= 0) r.split_y = std::clamp<int64_t>(deepest, H / 4, (3 * H) / 4);
  return r;
}

QuadrantLayout quadrant_layout(int64_t height, int64_t width, int64_t split_y, int64_t split_x) {
  FBD_CHECK(height > 0 && width > 0, "quadrant_layout: empty image");
  QuadrantLayout q;
  q.height = height;
  q.width = width;
  q.split_y = split_y;
  q.split_x = split_x;
  const int64_t qh = (height + 1) / 2, qw = (width + 1) / 2;
  q.rects[0] = {split_y - qh, split_x, qh, qw};       // 1: top right
  q.rects[1] = {split_y - qh, split_x - qw, qh, qw};  // 2: top left
  q.rects[2] = {split_y, split_x - qw, qh, qw};       // 3: bottom left
  q.rects[3] = {split_y, split_x, qh, qw};            // 4: bottom right
  return q;
}

Image breast_mask(const BodyAxis& a) {
  Image out(a.body.height, a.body.width);
  if (!a.found) return out;
  for (int64_t y = 0; y < std::min(a.split_y, out.height); ++y)
    for (int64_t x = 0; x < out.width; ++x) out.at(y, x) = a.body.at(y, x) >= 0.5f ? 1.0f : 0.0f;
  return out;
}

Image breast_mask(const Image& img) { return breast_mask(find_body_axis(img)); }

QuadrantLayout quadrant_layout(const Image& img) {
  const BodyAxis a = find_body_axis(img);
  return quadrant_layout(img.height, img.width, a.split_y, split_column(a.axis_x));
}

std::vector<int> tumour_quadrants(const QuadrantLayout& q, const Image& mask) {
  FBD_CHECK(mask.height == q.height && mask.width == q.width, "tumour_quadrants: mask is ", mask.size_str(),
            ", the layout is for ", q.height, "x", q.width);
  std::vector<int> out;
  for (int k = 0; k < 4; ++k) {
    const Rect& r = q.rects[size_t(k)];
    bool any = false;
    for (int64_t y = std::max<int64_t>(r.y, 0); y < std::min(r.y + r.h, q.height) && !any; ++y)
      for (int64_t x = std::max<int64_t>(r.x, 0); x < std::min(r.x + r.w, q.width) && !any; ++x)
        any = mask.at(y, x) != 0.0f;
    if (any) out.push_back(k + 1);
  }
  return out;
}

std::array<Image, 4> split_quadrants(const QuadrantLayout& q, const Image& img) {
  FBD_CHECK(img.height == q.height && img.width == q.width, "split_quadrants: image is ", img.size_str(),
            ", the layout is for ", q.height, "x", q.width);
  std::array<Image, 4> parts;
  for (size_t k = 0; k < 4; ++k) parts[k] = crop(img, q.rects[k]);
  return parts;
}

Image stitch_quadrants(const QuadrantLayout& q, const std::array<Image, 4>& parts) {
  Image out(q.height, q.width);
  for (size_t k = 0; k < 4; ++k) paste(out, parts[k], q.rects[k]);
  return out;
}

std::vector<Sample> quadrant_samples(const Sample& s, const QuadrantLayout& q, bool keep_all) {
  std::vector<int> keep = keep_all ? std::vector<int>{1, 2, 3, 4} : tumour_quadrants(q, s.mask);
  std::vector<Sample> out;
  for (int k : keep) {
    const Rect& r = q.rects[size_t(k - 1)];
    Sample part;
    part.id = s.id + "_q" + std::to_string(k);
    part.image = crop(s.image, r);
    for (const Image& c : s.more_channels) part.more_channels.push_back(crop(c, r));
    if (!s.mask.empty()) part.mask = crop(s.mask, r);
    if (!s.edge.empty()) part.edge = crop(s.edge, r);
    out.push_back(std::move(part));
  }
  return out;
}

}  // namespace fbd::data
