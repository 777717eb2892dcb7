// Augmentations one by one: CLAHE against hand-worked values, geometry that moves a known shape
// where it must go with mask and image together, masks that stay binary, the elastic field's
// statistics, intensity maths, and the config-driven pipeline (probabilities, reproducibility,
// errors).
#include <cmath>
#include <numbers>

#include "data/augment.h"
#include "data/pipeline.h"
#include "data/random.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;
using namespace fbd::data;
using fbd::test::contains;
using fbd::test::error_of;

namespace {

Image from_u8(int64_t h, int64_t w, const std::vector<int>& v) {
  Image img(h, w);
  for (size_t i = 0; i < v.size(); ++i) img.px[i] = float(v[i]) / 255.0f;
  return img;
}

int u8(float v) { return int(std::lround(v * 255.0f)); }

// An asymmetric shape: an L of 5 + 2 pixels.
Sample l_shape(int64_t n) {
  Sample s;
  s.image = Image(n, n);
  s.mask = Image(n, n);
  s.edge = Image(n, n);
  for (int64_t y = 2; y < 7; ++y) s.mask.at(y, 2) = 1.0f;
  s.mask.at(6, 3) = s.mask.at(6, 4) = 1.0f;
  s.edge.at(2, 2) = 1.0f;
  for (int64_t i = 0; i < s.mask.numel(); ++i) s.image.px[size_t(i)] = 0.25f + 0.5f * s.mask.px[size_t(i)];
  return s;
}

Sample disc(int64_t n, double cy, double cx, double r) {
  Sample s;
  s.image = Image(n, n);
  s.mask = Image(n, n);
  for (int64_t y = 0; y < n; ++y)
    for (int64_t x = 0; x < n; ++x)
      if (std::hypot(double(y) - cy, double(x) - cx) < r) s.mask.at(y, x) = s.image.at(y, x) = 1.0f;
  return s;
}

// Pixels where the image, thresholded at 0.5, disagrees with the mask.
int64_t misaligned(const Sample& s) {
  int64_t n = 0;
  for (size_t i = 0; i < s.mask.px.size(); ++i) n += (s.image.px[i] >= 0.5f) != (s.mask.px[i] != 0.0f);
  return n;
}

int64_t count(const Image& m) {
  int64_t n = 0;
  for (float v : m.px) n += v != 0.0f;
  return n;
}

}  // namespace

TEST_CASE("CLAHE on one tile: hand-worked clipping and redistribution") {
  // 4 x 4: eight pixels at 0 and eight at 255, one tile of 16 pixels.
  std::vector<int> v(16, 0);
  for (int i = 8; i < 16; ++i) v[size_t(i)] = 255;
  SUBCASE("no clip limit: plain equalisation") {
    // lut[0] = round(8 * 255 / 16) = round(127.5) = 128 (to even); lut[255] = 255.
    Image img = from_u8(4, 4, v);
    clahe(img, 0.0, 1, 1);
    CHECK(u8(img.px[0]) == 128);
    CHECK(u8(img.px[15]) == 255);
  }
  SUBCASE("clip limit 2: bins clipped at max(1, int(2 * 16 / 256)) = 1") {
    // Seven pixels at 0, one at 100, eight at 255. Clipping to 1 removes 6 + 7 = 13 counts;
    // 13 / 256 = 0 per bin, and the 13 left over go one each to bins 0, 19, 38, ..., 228
    // (step 256 / 13 = 19). Then cdf(0) = 1 + 1 = 2, cdf(100) = 2 + 5 (bins 19..95) + 1 = 8,
    // cdf(255) = 16, and the map is round(cdf * 255 / 16): 0 -> 32 (31.875), 100 -> 128 (127.5,
    // to even), 255 -> 255.
    v[7] = 100;
    Image img = from_u8(4, 4, v);
    clahe(img, 2.0, 1, 1);
    CHECK(u8(img.px[0]) == 32);
    CHECK(u8(img.px[7]) == 128);
    CHECK(u8(img.px[15]) == 255);
  }
}

TEST_CASE("CLAHE: clipped counts spread evenly over all bins, then the remainder") {
  // 32 x 32, one tile of 1024 pixels: 1023 at 0, one at 200; clip = int(2 * 1024 / 256) = 8.
  // Excess 1015 = 3 per bin (768) + 247 left over, which go to bins 0..246 (step 256 / 247 = 1).
  // Bin 0: 8 + 3 + 1 = 12 -> round(12 * 255 / 1024) = round(2.988) = 3.
  // cdf(200) = 12 + 199 * (3 + 1) + (1 + 3 + 1) = 813 -> round(813 * 255 / 1024) = round(202.46) = 202.
  std::vector<int> v(1024, 0);
  v[500] = 200;
  Image img = from_u8(32, 32, v);
  clahe(img, 2.0, 1, 1);
  CHECK(u8(img.px[0]) == 3);
  CHECK(u8(img.px[500]) == 202);
}

TEST_CASE("CLAHE on a 2 x 2 tile grid: hand-worked bilinear blending of the tiles' maps") {
  // 4 x 4 image, tiles of 2 x 2 pixels, no clipping:
  //   10 10 | 10 20      TL = {10 x4}:           map 10 -> 255
  //   10 10 | 10 20      TR = {10, 20, 10, 20}:  map 10 -> round(2 * 63.75) = 128 (127.5 to even)
  //   ------+------      BL = {20 x4}:           map 10 -> 0
  //   20 20 | 10 20      BR = {10, 20, 20, 20}:  map 10 -> round(63.75) = 64;  every map 20 -> 255
  //   20 20 | 20 20
  // Pixel (y, x) sits at tile coordinates (y / 2 - 0.5, x / 2 - 0.5):
  //   (0, 0): (-0.5, -0.5) -> TL only -> 255
  //   (1, 2): (0, 0.5)     -> TL and TR, half each: 0.5 * 255 + 0.5 * 128 = 191.5 -> 192
  //   (2, 2): (0.5, 0.5)   -> all four: 0.25 (255 + 128 + 0 + 64) = 111.75 -> 112
  //   (2, 3): (0.5, 1)     -> TR and BR at value 20: 255
  Image img = from_u8(4, 4, {10, 10, 10, 20, 10, 10, 10, 20, 20, 20, 10, 20, 20, 20, 20, 20});
  clahe(img, 0.0, 2, 2);
  CHECK(u8(img.at(0, 0)) == 255);
  CHECK(u8(img.at(1, 2)) == 192);
  CHECK(u8(img.at(2, 2)) == 112);
  CHECK(u8(img.at(2, 3)) == 255);
}

TEST_CASE("CLAHE pads a size that is not a multiple of the grid and keeps a constant image") {
  Image img(7, 5, 0.5f);
  clahe(img, 2.0, 8, 8);
  CHECK(img.height == 7);
  // A constant image: every map sends 128 to 255 * cdf = 255.
  for (float v : img.px) CHECK(u8(v) == 255);
  CHECK(contains(error_of([&] { clahe(img, 2.0, 0, 8); }), "tile grid must be at least 1x1"));
}

TEST_CASE("Gaussian blur keeps the mean and smooths a delta into the kernel") {
  Image img(9, 9);
  img.at(4, 4) = 1.0f;
  gaussian_blur(img, 3);
  CHECK(img.at(4, 4) == doctest::Approx(0.25));
  CHECK(img.at(4, 5) == doctest::Approx(0.125));
  CHECK(img.at(3, 3) == doctest::Approx(0.0625));
  CHECK(mean_value(img) * 81 == doctest::Approx(1.0));
  CHECK(contains(error_of([&] { gaussian_blur(img, 4); }), "kernel size must be odd"));
}

TEST_CASE("intensity transforms: normalisation, brightness / contrast, gamma") {
  Image img(1, 4);
  img.px = {1, 2, 3, 6};
  Image z = img;
  normalize_zscore(z);
  CHECK(mean_value(z) == doctest::Approx(0.0).epsilon(1e-6));
  double var = 0;
  for (float v : z.px) var += double(v) * v;
  CHECK(var / 4 == doctest::Approx(1.0));
  Image mm = img;
  normalize_minmax(mm);
  CHECK(mm.px == std::vector<float>{0.0f, 0.2f, 0.4f, 1.0f});
  Image c(2, 2, 0.7f);
  normalize_minmax(c);
  CHECK(c.px == std::vector<float>(4, 0.0f));
  Image k(2, 2, 0.7f);
  normalize_zscore(k);
  CHECK(k.px == std::vector<float>(4, 0.0f));

  Image bc = img;  // mean 3
  brightness_contrast(bc, 0.5f, 2.0f);
  CHECK(bc.px == std::vector<float>{-0.5f, 1.5f, 3.5f, 9.5f});
  Image g(1, 3);
  g.px = {-0.5f, 0.25f, 1.0f};
  gamma_correct(g, 2.0f);
  CHECK(g.px == std::vector<float>{0.0f, 0.0625f, 1.0f});
}

TEST_CASE("flips and quarter turns move a known shape exactly, mask, edge and image together") {
  const int64_t n = 10;
  SUBCASE("horizontal flip") {
    Sample s = l_shape(n);
    flip(s, true);
    CHECK(s.mask.at(2, n - 1 - 2) == 1.0f);
    CHECK(s.mask.at(6, n - 1 - 4) == 1.0f);
    CHECK(s.edge.at(2, n - 1 - 2) == 1.0f);
    CHECK(misaligned(s) == 0);
  }
  SUBCASE("vertical flip") {
    Sample s = l_shape(n);
    flip(s, false);
    CHECK(s.mask.at(n - 1 - 6, 4) == 1.0f);
    CHECK(misaligned(s) == 0);
  }
  SUBCASE("90 degrees counter-clockwise: (y, x) -> (n - 1 - x, y)") {
    Sample s = l_shape(n);
    const Sample before = s;
    rotate(s, 90.0);
    for (int64_t y = 0; y < n; ++y)
      for (int64_t x = 0; x < n; ++x) {
        REQUIRE(s.mask.at(n - 1 - x, y) == before.mask.at(y, x));
        REQUIRE(s.image.at(n - 1 - x, y) == doctest::Approx(before.image.at(y, x)));
      }
    CHECK(s.edge.at(n - 1 - 2, 2) == 1.0f);
  }
  SUBCASE("four quarter turns are the identity") {
    Sample s = l_shape(n);
    const Sample before = s;
    for (int i = 0; i < 4; ++i) rotate(s, 90.0);
    CHECK(s.mask.px == before.mask.px);
  }
}

TEST_CASE("a small rotation moves an off-centre disc to the rotated centre") {
  const int64_t n = 64;
  const double cy = 20, cx = 40, c = 31.5, a = 30.0 * std::numbers::pi / 180.0;
  Sample s = disc(n, cy, cx, 6);
  rotate(s, 30.0);
  // Counter-clockwise on screen (y down): (dx, dy) -> (dx cos + dy sin, -dx sin + dy cos).
  const double dx = cx - c, dy = cy - c;
  const double ex = c + dx * std::cos(a) + dy * std::sin(a), ey = c - dx * std::sin(a) + dy * std::cos(a);
  double my = 0, mx = 0, m = 0;
  for (int64_t y = 0; y < n; ++y)
    for (int64_t x = 0; x < n; ++x)
      if (s.mask.at(y, x) != 0.0f) {
        my += double(y);
        mx += double(x);
        m += 1;
      }
  CHECK(my / m == doctest::Approx(ey).epsilon(0.02));
  CHECK(mx / m == doctest::Approx(ex).epsilon(0.02));
  CHECK(is_binary(s.mask));
  CHECK(misaligned(s) <= 8);  // bilinear image vs nearest mask differ only on the rim
}

TEST_CASE("elastic deformation: identity at alpha 0, mask follows image, field statistics") {
  const int64_t n = 64;
  Sample s = disc(n, 30, 30, 12);
  const Sample before = s;
  elastic(s, 0.0, 4.0, 99);
  CHECK(s.mask.px == before.mask.px);
  CHECK(s.image.px == before.image.px);

  Sample d = before;
  elastic(d, 34.0, 4.0, 99);
  CHECK(is_binary(d.mask));
  CHECK(d.mask.px != before.mask.px);  // it did move
  // The image and mask were moved by the same field: they disagree only on the rim.
  CHECK(misaligned(d) <= count(d.mask) / 10);

  // Smoothed U(-1, 1) noise has standard deviation sqrt(1/3) / (2 sqrt(pi) sigma) per unit alpha
  // (sum of squared weights of a normalised 2-D Gaussian is 1 / (4 pi sigma^2)).
  Image dx, dy;
  elastic_field(256, 256, 1.0, 4.0, 7, dx, dy);
  double s2 = 0, mean = 0;
  for (float v : dx.px) {
    s2 += double(v) * v;
    mean += v;
  }
  const double sd = std::sqrt(s2 / double(dx.numel())),
               theory = std::sqrt(1.0 / 3.0) / (2 * std::sqrt(std::numbers::pi) * 4.0);
  CHECK(sd == doctest::Approx(theory).epsilon(0.15));
  CHECK(std::fabs(mean / double(dx.numel())) < 0.2 * theory);
  CHECK(dx.px != dy.px);
}

TEST_CASE("resize: bilinear image, nearest (binary) mask") {
  Sample s = l_shape(10);
  resize(s, 20, 20);
  CHECK(s.image.height == 20);
  CHECK(is_binary(s.mask));
  CHECK(count(s.mask) == 4 * 7);
  CHECK(s.mask.at(4, 4) == 1.0f);  // source (2, 2)
}

TEST_CASE("pipeline: masks stay binary and image and mask stay aligned through every step") {
  AugmentPipeline p = AugmentPipeline::from_json_text(R"({"steps": [
    {"op": "normalize", "mode": "minmax"}, {"op": "hflip"}, {"op": "vflip"}, {"op": "rotate", "max_degrees": 40},
    {"op": "elastic", "alpha": 34, "sigma": 4}, {"op": "gaussian_blur", "min_kernel": 3, "max_kernel": 9},
    {"op": "clahe", "clip_limit": 3, "tiles": [4, 2]}, {"op": "brightness_contrast"}, {"op": "gamma"},
    {"op": "resize", "height": 48, "width": 40}, {"op": "normalize", "mode": "zscore"}]})",
                                                      "test");
  CHECK(p.steps().size() == 11);
  for (uint64_t key = 0; key < 20; ++key) {
    Sample s = disc(64, 30, 34, 10);
    s.edge = s.mask;
    p.apply(s, key);
    REQUIRE(is_binary(s.mask));
    REQUIRE(is_binary(s.edge));
    CHECK(s.image.height == 48);
    CHECK(s.mask.width == 40);
    CHECK(count(s.mask) > 0);
    // z-scored image: the disc is the bright part; it must sit on the mask.
    double in = 0, out = 0, nin = 0, nout = 0;
    for (size_t i = 0; i < s.mask.px.size(); ++i) {
      (s.mask.px[i] != 0 ? in : out) += s.image.px[i];
      (s.mask.px[i] != 0 ? nin : nout) += 1;
    }
    CHECK(in / nin > out / nout + 1.0);
  }
}

TEST_CASE("pipeline: reproducible from the key, different for different keys, p respected") {
  const AugmentPipeline p = AugmentPipeline::default_pipeline();
  CHECK(p.steps().size() == 10);
  Sample a = disc(48, 20, 24, 8), b = a, c = a;
  p.apply(a, derive_key(1, 0, 5));
  p.apply(b, derive_key(1, 0, 5));
  p.apply(c, derive_key(1, 0, 6));
  CHECK(a.image.px == b.image.px);
  CHECK(a.mask.px == b.mask.px);
  CHECK(a.image.px != c.image.px);

  // p = 0 never applies, p = 1 always; p = 0.3 applies to about 30% of keys.
  AugmentPipeline never = AugmentPipeline::from_json_text(R"({"steps": [{"op": "hflip", "p": 0}]})", "t");
  AugmentPipeline some = AugmentPipeline::from_json_text(R"({"steps": [{"op": "hflip", "p": 0.3}]})", "t");
  int flipped = 0;
  const Sample base = l_shape(10);
  for (uint64_t k = 0; k < 1000; ++k) {
    Sample s = base, t = base;
    never.apply(s, k);
    REQUIRE(s.mask.px == base.mask.px);
    some.apply(t, k);
    flipped += t.mask.px != base.mask.px;
  }
  CHECK(flipped > 240);
  CHECK(flipped < 360);

  // apply_step draws the same parameters apply() would.
  AugmentPipeline rot = AugmentPipeline::from_json_text(R"({"steps": [{"op": "rotate", "max_degrees": 30}]})", "t");
  Sample r1 = disc(32, 10, 20, 4), r2 = r1;
  rot.apply(r1, 42);
  rot.apply_step(0, r2, 42);
  CHECK(r1.mask.px == r2.mask.px);
}

TEST_CASE("pipeline config errors name the config and the step") {
  auto err = [](const std::string& json) {
    return error_of([&] { AugmentPipeline::from_json_text(json, "cfg.json"); });
  };
  CHECK(contains(err("{"), "cfg.json: not valid JSON"));
  CHECK(contains(err(R"({"stepz": []})"), "cfg.json: expected an object with a \"steps\" array"));
  CHECK(contains(err(R"({"steps": [{"op": "spin"}]})"), "cfg.json: step 1: unknown op 'spin'"));
  CHECK(contains(err(R"({"steps": [{"op": "hflip"}, {"op": "rotate", "max_deg": 3}]})"),
                 "cfg.json: step 2 (rotate): unknown key 'max_deg'"));
  CHECK(contains(err(R"({"steps": [{"op": "hflip", "p": 1.5}]})"), "'p' = 1.5 is outside [0, 1]"));
  CHECK(contains(err(R"({"steps": [{"op": "gaussian_blur", "min_kernel": 4}]})"), "kernel sizes must be odd"));
  CHECK(contains(err(R"({"steps": [{"op": "normalize", "mode": "l2"}]})"), "mode must be zscore or minmax"));
  CHECK(contains(err(R"({"steps": [{"op": "clahe", "tiles": [8]}]})"), "'tiles' must be a number or a pair"));
  CHECK(contains(err(R"({"steps": [{"p": 1}]})"), "missing \"op\""));
  test::TempDir dir;
  CHECK(contains(error_of([&] { AugmentPipeline::from_file(dir.file("none.json")); }), "none.json: cannot open"));
}

TEST_CASE("per-sample random streams depend on their key only") {
  SampleRandom a(1, 2, 3), b(1, 2, 3), c(1, 2, 4);
  for (int i = 0; i < 10; ++i) {
    const float x = a.uniform();
    CHECK(x == b.uniform());
    CHECK(x >= 0.0f);
    CHECK(x < 1.0f);
  }
  CHECK(a.bits() != c.bits());
  double s = 0, s2 = 0;
  SampleRandom n(5, 0, 0);
  for (int i = 0; i < 20000; ++i) {
    const double z = n.normal();
    s += z;
    s2 += z * z;
  }
  CHECK(std::fabs(s / 20000) < 0.03);
  CHECK(s2 / 20000 == doctest::Approx(1.0).epsilon(0.05));
  for (int i = 0; i < 100; ++i) {
    const int64_t k = n.integer(3, 5);
    CHECK(k >= 3);
    CHECK(k <= 5);
  }
}
