// The exact EDT against brute force, and the signed distance map of docs/LOSSES.md.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "core/npy.h"
#include "core/rng.h"
#include "losses/edt.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;

namespace {

// Distance from each pixel to the nearest zero pixel, by trying every zero pixel.
std::vector<float> brute_force_edt(const std::vector<uint8_t>& m, int64_t n, int64_t h, int64_t w, double sy,
                                   double sx) {
  std::vector<float> out(m.size());
  for (int64_t b = 0; b < n; ++b)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        double best = std::numeric_limits<double>::infinity();
        for (int64_t y2 = 0; y2 < h; ++y2)
          for (int64_t x2 = 0; x2 < w; ++x2)
            if (m[size_t((b * h + y2) * w + x2)] == 0) {
              const double dy = double(y - y2), dx = double(x - x2);
              best = std::min(best, sx * sx * dx * dx + sy * sy * dy * dy);
            }
        out[size_t((b * h + y) * w + x)] = float(std::sqrt(best));
      }
  return out;
}

std::vector<uint8_t> random_mask(int64_t size, float density, uint64_t seed) {
  const auto u = test::random_values(size, 0, 1, seed);
  std::vector<uint8_t> m(static_cast<size_t>(size));
  for (size_t i = 0; i < m.size(); ++i) m[i] = u[i] < density;
  return m;
}

}  // namespace

TEST_CASE("EDT equals brute force on random masks, unit spacing (exactly)") {
  for (const float density : {0.05f, 0.5f, 0.95f}) {
    const int64_t n = 3, h = 23, w = 31;
    const auto m = random_mask(n * h * w, density, uint64_t(density * 100));
    const Tensor d = edt(Tensor::from_data(m.data(), {n, h, w}));
    CHECK(d.to_vector() == brute_force_edt(m, n, h, w, 1, 1));
  }
}

TEST_CASE("EDT with anisotropic spacing equals brute force") {
  const int64_t n = 2, h = 17, w = 29;
  const auto m = random_mask(n * h * w, 0.7f, 5);
  for (const auto& [sy, sx] :
       {std::pair{2.5f, 1.0f}, std::pair{0.7f, 1.3f}, std::pair{3000.0f, 0.0004f}, std::pair{0.0004f, 3000.0f}}) {
    const Tensor d = edt(Tensor::from_data(m.data(), {n, 1, h, w}), sy, sx);
    test::check_close(brute_force_edt(m, n, h, w, sy, sx), d.to_vector(), 0, 1e-6, "anisotropic EDT");
  }
}

TEST_CASE("EDT edge cases: no zero pixel, a single zero pixel, one axis longer than 1024") {
  const std::vector<uint8_t> ones(12, 1);
  for (float v : edt(Tensor::from_data(ones.data(), {3, 4})).to_vector()) CHECK(std::isinf(v));
  CHECK(edt(Tensor::zeros({3, 4})).to_vector() == std::vector<float>(12, 0.0f));
  std::vector<uint8_t> single(7 * 9, 1);
  single[3 * 9 + 4] = 0;
  CHECK(edt(Tensor::from_data(single.data(), {7, 9})).to_vector() == brute_force_edt(single, 1, 7, 9, 1, 1));
  for (const auto& [h, w] : {std::pair<int64_t, int64_t>{1, 1500}, {1300, 3}}) {
    const auto m = random_mask(h * w, 0.98f, uint64_t(h));
    CHECK(edt(Tensor::from_data(m.data(), {h, w})).to_vector() == brute_force_edt(m, 1, h, w, 1, 1));
  }
}

TEST_CASE("signed distance map: outside positive, inside negative less one, empty and full masks zero") {
  // A 3x3 square of foreground in a 7x7 image.
  std::vector<float> g(49, 0.0f);
  for (int y = 2; y <= 4; ++y)
    for (int x = 2; x <= 4; ++x) g[size_t(y * 7 + x)] = 1.0f;
  const auto phi = signed_distance_map(Tensor::from_vector(g, {7, 7})).to_vector();
  CHECK(phi[3 * 7 + 3] == -1.0f);                     // centre: 2 from the background, less one
  CHECK(phi[2 * 7 + 2] == 0.0f);                      // corner of the square: 1 from the background, less one
  CHECK(phi[3 * 7 + 1] == 1.0f);                      // just outside
  CHECK(phi[0] == doctest::Approx(std::sqrt(8.0f)));  // (0,0) to (2,2)
  CHECK(signed_distance_map(Tensor::zeros({2, 5, 5})).to_vector() == std::vector<float>(50, 0.0f));
  CHECK(signed_distance_map(Tensor::ones({1, 1, 4, 4})).to_vector() == std::vector<float>(16, 0.0f));
}

TEST_CASE("normalized distance map: each image divided by its own largest |phi|; empty images stay 0") {
  // Image 0: a 3x3 square in 7x7 (largest |phi| sqrt(8), at the corners). Image 1: one pixel at
  // (0,0) (largest sqrt(72), at (6,6)). Image 2: empty.
  std::vector<float> g(3 * 49, 0.0f);
  for (int y = 2; y <= 4; ++y)
    for (int x = 2; x <= 4; ++x) g[size_t(y * 7 + x)] = 1.0f;
  g[49] = 1.0f;
  const Tensor phi = signed_distance_map(Tensor::from_vector(g, {3, 1, 7, 7}));
  const Tensor nrm = normalize_distance_map(phi);
  CHECK(nrm.shape() == phi.shape());
  const auto p = phi.to_vector(), q = nrm.to_vector();
  const float top[3] = {std::sqrt(8.0f), std::sqrt(72.0f), 0.0f};
  for (int n = 0; n < 3; ++n)
    for (int i = 0; i < 49; ++i) {
      const size_t k = size_t(n * 49 + i);
      INFO("image " << n << ", pixel " << i);
      CHECK(q[k] == (n == 2 ? 0.0f : doctest::Approx(p[k] / top[n])));
      CHECK(std::fabs(q[k]) <= 1.0f);
    }
  CHECK(q[0] == doctest::Approx(1.0f));                             // the square's image: its far corner
  CHECK(q[3 * 7 + 3] == doctest::Approx(-1.0f / std::sqrt(8.0f)));  // the square's centre
  CHECK(q[49 + 48] == doctest::Approx(1.0f));                       // the pixel's image: the far corner
  CHECK(test::contains(test::error_of([] {
                         normalize_distance_map(Tensor::full({2, 2}, NAN));
                       }),
                       "image 0 holds a non-finite distance"));
  CHECK(test::contains(test::error_of([] {
                         normalize_distance_map(Tensor::zeros({2, 3, 4, 5}));
                       }),
                       "expected a shape (H,W), (N,H,W) or (N,1,H,W)"));
}

TEST_CASE("bad masks and shapes are clear errors") {
  CHECK(test::contains(test::error_of([] {
                         signed_distance_map(Tensor::full({3, 3}, 0.5f));
                       }),
                       "mask values must be 0 or 1, found 0.5"));
  CHECK(test::contains(test::error_of([] {
                         edt(Tensor::zeros({2, 3, 4, 5}));
                       }),
                       "expected a shape (H,W), (N,H,W) or (N,1,H,W)"));
  CHECK(test::contains(test::error_of([] { edt(Tensor::zeros({4, 4}), 0.0f, 1.0f); }), "spacing must be positive"));
}

// ---- SciPy fixtures (tests/reference/make_metric_fixtures.py) ------------------------------
// Tolerances: unit spacing, exact (SciPy's float64 distance rounded to float32 is what fbd
// computes: the correctly rounded sqrt of an exact integer). Anisotropic spacing: 2 float ulps
// relative (2.4e-7): SciPy and fbd sum the two scaled squares in different orders, so their
// float64 values may differ in the last bit, which can move the float32 rounding by one ulp.

namespace {
Tensor load(const std::string& name) { return read_npy(test::fixture("metrics/" + name)); }
constexpr double kAnisoEps = 2.4e-7;
}  // namespace

TEST_CASE("EDT equals SciPy's distance_transform_edt: blobs, noise, a single zero pixel") {
  const Tensor in = load("edt_input.npy");
  REQUIRE(in.dtype() == DType::U8);
  CHECK(edt(in).to_vector() == load("edt_unit.npy").to_vector());
  // The same masks as float32 give the same distances.
  CHECK(edt(in.to_dtype(DType::F32)).to_vector() == load("edt_unit.npy").to_vector());
  test::check_close(load("edt_aniso.npy").to_vector(), edt(in, 2.5f, 0.7f).to_vector(), 0, kAnisoEps,
                    "anisotropic EDT vs SciPy");
}

TEST_CASE("EDT equals SciPy on images with one axis longer than 1024, unit and anisotropic spacing") {
  const Tensor rows = load("edt_long_rows_input.npy"), cols = load("edt_long_cols_input.npy");
  REQUIRE(rows.size(2) > 1024);
  REQUIRE(cols.size(1) > 1024);
  CHECK(edt(rows).to_vector() == load("edt_long_rows_unit.npy").to_vector());
  CHECK(edt(cols).to_vector() == load("edt_long_cols_unit.npy").to_vector());
  test::check_close(load("edt_long_rows_aniso.npy").to_vector(), edt(rows, 0.5f, 1.75f).to_vector(), 0, kAnisoEps,
                    "long rows, anisotropic");
  test::check_close(load("edt_long_cols_aniso.npy").to_vector(), edt(cols, 1.3f, 3.0f).to_vector(), 0, kAnisoEps,
                    "long columns, anisotropic");
}

TEST_CASE("signed distance map equals docs/LOSSES.md's phi from SciPy (empty and full masks zero)") {
  const Tensor g = load("sdm_mask.npy");
  CHECK(signed_distance_map(g).to_vector() == load("sdm_unit.npy").to_vector());
  // As uint8 and as (N,1,H,W) too.
  const Tensor g4 = g.to_dtype(DType::U8).reshape({g.size(0), 1, g.size(1), g.size(2)});
  const Tensor phi4 = signed_distance_map(g4);
  CHECK(phi4.shape() == g4.shape());
  CHECK(phi4.to_vector() == load("sdm_unit.npy").to_vector());
}

TEST_CASE("signed distance map with spacing equals phi built from the anisotropic EDTs") {
  const int64_t n = 3, h = 21, w = 34;
  const auto m = random_mask(n * h * w, 0.6f, 77);
  std::vector<uint8_t> inv(m.size());
  for (size_t i = 0; i < m.size(); ++i) inv[i] = 1 - m[i];
  const float sy = 1.7f, sx = 0.45f;
  const auto to_bg = brute_force_edt(m, n, h, w, sy, sx), to_fg = brute_force_edt(inv, n, h, w, sy, sx);
  std::vector<float> want(m.size());
  for (size_t i = 0; i < m.size(); ++i) want[i] = m[i] ? -(to_bg[i] - 1.0f) : to_fg[i];
  test::check_close(want, signed_distance_map(Tensor::from_data(m.data(), {n, h, w}), sy, sx).to_vector(), 0, kAnisoEps,
                    "anisotropic phi");
}

TEST_CASE("EDT on degenerate sizes: 1x1, a single row and a single column, an empty batch") {
  const std::vector<uint8_t> one{1}, zero{0};
  CHECK(std::isinf(edt(Tensor::from_data(one.data(), {1, 1})).item()));
  CHECK(edt(Tensor::from_data(zero.data(), {1, 1})).item() == 0.0f);
  const auto row = random_mask(40, 0.8f, 3);
  CHECK(edt(Tensor::from_data(row.data(), {1, 40})).to_vector() == brute_force_edt(row, 1, 1, 40, 1, 1));
  CHECK(edt(Tensor::from_data(row.data(), {40, 1})).to_vector() == brute_force_edt(row, 1, 40, 1, 1, 1));
  CHECK(edt(Tensor::zeros({0, 5, 5})).numel() == 0);
}

TEST_CASE("EDT input errors: dtype, size limit, spacing") {
  CHECK(test::contains(test::error_of([] {
                         edt(Tensor::zeros({4, 4}, DType::I32));
                       }),
                       "edt: expected float32 or uint8, got int32"));
  CHECK(test::contains(test::error_of([] {
                         edt(Tensor::zeros({1, int64_t(1) << 24}, DType::U8));
                       }),
                       "edt: images up to 16777215 pixels a side"));
  for (const auto& spacing : {std::pair{-1.0f, 1.0f}, std::pair{1.0f, std::nanf("")},
                              std::pair{1.0f, std::numeric_limits<float>::infinity()}}) {
    CHECK(test::contains(test::error_of([&] {
                           signed_distance_map(Tensor::zeros({4, 4}), spacing.first, spacing.second);
                         }),
                         "signed_distance_map: pixel spacing must be positive"));
  }
}
