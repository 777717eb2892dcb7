#include "apps/classify/patient_features.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace fbd::app {

namespace {

struct Point {
  int64_t x, y;
};

int64_t cross(const Point& o, const Point& a, const Point& b) {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

}  // namespace

namespace {

// Length of the level-1/2 marching-squares contour of the mask (padded with background).
// Each 2x2 cell of pixel centres contributes by its pattern: one corner cut (1 or 3 set) a
// segment of sqrt(2)/2, a straight edge (2 adjacent set) a segment of 1, a saddle (2 diagonal
// set) two corner cuts.
double contour_length(const uint8_t* m, int64_t h, int64_t w) {
  auto at = [&](int64_t y, int64_t x) { return y >= 0 && y < h && x >= 0 && x < w && m[y * w + x] != 0; };
  const double corner = std::sqrt(2.0) / 2.0;
  double length = 0;
  for (int64_t y = -1; y < h; ++y)
    for (int64_t x = -1; x < w; ++x) {
      const int a = at(y, x), b = at(y, x + 1), c = at(y + 1, x), d = at(y + 1, x + 1);
      const int set = a + b + c + d;
      if (set == 1 || set == 3)
        length += corner;
      else if (set == 2)
        length += (a == d) ? 2 * corner : 1.0;  // a == d: the diagonal saddle
    }
  return length;
}

// Pixels whose centres lie inside or on the convex hull of the foreground pixel centres.
double convex_pixel_count(std::vector<Point> pts) {
  std::sort(pts.begin(), pts.end(),
            [](const Point& a, const Point& b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
  if (pts.size() < 3) return double(pts.size());
  std::vector<Point> hull(2 * pts.size());
  size_t k = 0;
  for (const Point& p : pts) {
    while (k >= 2 && cross(hull[k - 2], hull[k - 1], p) <= 0) --k;
    hull[k++] = p;
  }
  for (size_t i = pts.size() - 1, lower = k + 1; i-- > 0;) {
    while (k >= lower && cross(hull[k - 2], hull[k - 1], pts[i]) <= 0) --k;
    hull[k++] = pts[i];
  }
  hull.resize(k - 1);  // counter-clockwise, no repeated first point
  int64_t x0 = pts.front().x, x1 = pts.back().x, y0 = pts.front().y, y1 = y0;
  for (const Point& p : pts) y0 = std::min(y0, p.y), y1 = std::max(y1, p.y);
  double count = 0;
  for (int64_t y = y0; y <= y1; ++y)
    for (int64_t x = x0; x <= x1; ++x) {
      bool inside = true;
      for (size_t i = 0; i < hull.size() && inside; ++i)
        inside = cross(hull[i], hull[(i + 1) % hull.size()], {x, y}) >= 0;
      count += inside;
    }
  return count;
}

}  // namespace

SliceShape slice_shape(const uint8_t* m, int64_t h, int64_t w) {
  SliceShape s;
  auto at = [&](int64_t y, int64_t x) { return y >= 0 && y < h && x >= 0 && x < w && m[y * w + x] != 0; };
  double cy = 0, cx = 0;
  std::vector<Point> pixels, boundary;
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      if (!at(y, x)) continue;
      s.area += 1;
      cy += double(y), cx += double(x);
      pixels.push_back({x, y});
      if (!at(y - 1, x) || !at(y + 1, x) || !at(y, x - 1) || !at(y, x + 1)) boundary.push_back({x, y});
    }
  if (s.area == 0) return s;
  cy /= s.area, cx /= s.area;
  s.perimeter = contour_length(m, h, w);
  s.compactness = 4.0 * M_PI * s.area / (s.perimeter * s.perimeter);
  s.solidity = s.area / convex_pixel_count(std::move(pixels));
  double sum = 0, sum2 = 0;
  for (const Point& p : boundary) {
    const double d = std::hypot(double(p.y) - cy, double(p.x) - cx);
    sum += d, sum2 += d * d;
  }
  const double n = double(boundary.size()), mean = sum / n;
  s.irregularity = mean > 0 ? std::sqrt(std::max(0.0, sum2 / n - mean * mean)) / mean : 0.0;
  return s;
}

std::vector<double> PatientFeatures::values() const {
  return {volume_ratio,      compactness,    solidity,      irregularity,
          max_area_fraction, intensity_mean, intensity_std, slices_with_tumour};
}

std::vector<std::string> PatientFeatures::names() {
  return {"volume_ratio",      "compactness",    "solidity",      "irregularity",
          "max_area_fraction", "intensity_mean", "intensity_std", "slices_with_tumour"};
}

PatientFeatures patient_features(const std::vector<SliceInput>& slices) {
  FBD_CHECK(!slices.empty(), "patient_features: a patient needs at least one slice");
  PatientFeatures f;
  double tumour_px = 0, breast_px = 0, weight = 0, t_sum = 0, t_sum2 = 0, b_sum = 0;
  int with_tumour = 0;
  for (const SliceInput& s : slices) {
    FBD_CHECK(s.image && s.tumour && s.breast && s.height > 0 && s.width > 0, "patient_features: incomplete slice");
    const int64_t n = s.height * s.width;
    double slice_breast = 0;
    for (int64_t i = 0; i < n; ++i) {
      const bool b = s.breast[i] != 0, t = s.tumour[i] != 0;
      slice_breast += b || t;
      if (b || t) b_sum += s.image[i];
      if (t) t_sum += s.image[i], t_sum2 += double(s.image[i]) * s.image[i];
    }
    breast_px += slice_breast;
    const SliceShape shape = slice_shape(s.tumour, s.height, s.width);
    if (shape.area == 0) continue;
    ++with_tumour;
    tumour_px += shape.area;
    weight += shape.area;
    f.compactness += shape.area * shape.compactness;
    f.solidity += shape.area * shape.solidity;
    f.irregularity += shape.area * shape.irregularity;
    f.max_area_fraction = std::max(f.max_area_fraction, slice_breast > 0 ? shape.area / slice_breast : 0.0);
  }
  f.slices_with_tumour = double(with_tumour) / double(slices.size());
  if (weight == 0) return f;
  f.compactness /= weight, f.solidity /= weight, f.irregularity /= weight;
  f.volume_ratio = breast_px > 0 ? tumour_px / breast_px : 0.0;
  const double breast_mean = breast_px > 0 ? b_sum / breast_px : 0.0;
  const double t_mean = t_sum / tumour_px, t_var = std::max(0.0, t_sum2 / tumour_px - t_mean * t_mean);
  f.intensity_mean = breast_mean != 0 ? t_mean / breast_mean : 0.0;
  f.intensity_std = breast_mean != 0 ? std::sqrt(t_var) / std::fabs(breast_mean) : 0.0;
  return f;
}

}  // namespace fbd::app
