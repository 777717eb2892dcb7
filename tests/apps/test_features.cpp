// Shape and patient features of the classifier, on shapes whose answers are known.
#include <doctest/doctest.h>

#include <cmath>

#include "apps/classify/patient_features.h"
#include "tests/test_util.h"

using namespace fbd;
using namespace fbd::app;

namespace {
std::vector<uint8_t> disc(int64_t n, double cy, double cx, double r) {
  std::vector<uint8_t> m(static_cast<size_t>(n * n));
  for (int64_t y = 0; y < n; ++y)
    for (int64_t x = 0; x < n; ++x) m[size_t(y * n + x)] = std::hypot(y - cy, x - cx) <= r;
  return m;
}

// A disc with `spikes` thin radial spikes of length `len` beyond its radius.
std::vector<uint8_t> spiky(int64_t n, double r, int spikes, double len) {
  std::vector<uint8_t> m = disc(n, n / 2.0, n / 2.0, r);
  for (int k = 0; k < spikes; ++k) {
    const double a = 2 * M_PI * k / spikes;
    for (double t = r; t <= r + len; t += 0.25) {
      const int64_t y = int64_t(std::lround(n / 2.0 + t * std::sin(a))),
                    x = int64_t(std::lround(n / 2.0 + t * std::cos(a)));
      if (y >= 0 && y < n && x >= 0 && x < n) m[size_t(y * n + x)] = 1;
    }
  }
  return m;
}
}  // namespace

TEST_CASE("a square: area, contour perimeter, compactness, solidity 1") {
  const int64_t n = 20;
  std::vector<uint8_t> m(n * n, 0);
  for (int y = 5; y < 15; ++y)
    for (int x = 5; x < 15; ++x) m[size_t(y * n + x)] = 1;
  const SliceShape s = slice_shape(m.data(), n, n);
  CHECK(s.area == 100);
  CHECK(s.perimeter == doctest::Approx(36 + 2 * std::sqrt(2.0)));  // 4 x 9 straight cells + 4 corner cuts
  CHECK(s.compactness == doctest::Approx(4 * M_PI * 100 / std::pow(36 + 2 * std::sqrt(2.0), 2)));
  CHECK(s.solidity == doctest::Approx(1.0));
  CHECK(s.irregularity > 0);
  CHECK(s.irregularity < 0.15);
}

TEST_CASE("spicules lower compactness and solidity and raise irregularity") {
  const auto round = disc(96, 48, 48, 15), burred = spiky(96, 15, 12, 14);
  const SliceShape a = slice_shape(round.data(), 96, 96), b = slice_shape(burred.data(), 96, 96);
  CHECK(a.compactness > 0.8);
  CHECK(a.compactness < 1.0);
  CHECK(a.perimeter == doctest::Approx(2 * M_PI * 15).epsilon(0.1));
  CHECK(b.compactness < 0.5 * a.compactness);
  CHECK(a.solidity > 0.95);
  CHECK(b.solidity < 0.8);
  CHECK(a.irregularity < 0.05);
  CHECK(b.irregularity > 3 * a.irregularity);
}

TEST_CASE("empty masks and shapes touching the border") {
  std::vector<uint8_t> empty(25, 0), full(25, 1);
  const SliceShape e = slice_shape(empty.data(), 5, 5);
  CHECK(e.area == 0);
  CHECK(e.compactness == 0);
  const SliceShape f = slice_shape(full.data(), 5, 5);
  CHECK(f.perimeter == doctest::Approx(16 + 2 * std::sqrt(2.0)));  // the image border counts as background
  CHECK(f.solidity == doctest::Approx(1.0));
}

TEST_CASE("patient features aggregate over slices") {
  const int64_t n = 32;
  std::vector<float> image(n * n, 1.0f);
  std::vector<uint8_t> breast(n * n, 0), t1 = disc(n, 16, 16, 4), t0(n * n, 0);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 16; ++x) breast[size_t(y * n + x)] = 1;  // left half is "breast"
  for (size_t i = 0; i < t1.size(); ++i)
    if (t1[i]) image[i] = 3.0f;  // the tumour is brighter
  const PatientFeatures f = patient_features(
      {{image.data(), t1.data(), breast.data(), n, n}, {image.data(), t0.data(), breast.data(), n, n}});
  const double area = slice_shape(t1.data(), n, n).area;
  CHECK(f.slices_with_tumour == 0.5);
  CHECK(f.intensity_std == doctest::Approx(0.0).epsilon(1e-9));
  CHECK(f.intensity_mean > 1.5);  // tumour brighter than the breast on average
  CHECK(f.volume_ratio > 0);
  CHECK(f.volume_ratio < area / 512.0 + 1e-9);
  CHECK(PatientFeatures::names().size() == f.values().size());
  const PatientFeatures none = patient_features({{image.data(), t0.data(), breast.data(), n, n}});
  CHECK(none.volume_ratio == 0);
  CHECK(test::contains(test::error_of([] { patient_features({}); }), "at least one slice"));
}
