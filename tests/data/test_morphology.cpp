// Morphology (edge ground truth, components, holes, Otsu) and linear filtering (OpenCV's
// Gaussian kernels, reflect-101 borders, against SciPy).
#include "core/npy.h"
#include "data/filter.h"
#include "data/morphology.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;
using namespace fbd::data;

namespace {

Image square(int64_t n, int64_t y0, int64_t x0, int64_t side) {
  Image m(n, n);
  for (int64_t y = y0; y < y0 + side; ++y)
    for (int64_t x = x0; x < x0 + side; ++x) m.at(y, x) = 1.0f;
  return m;
}

int64_t count(const Image& m) {
  int64_t n = 0;
  for (float v : m.px) n += v != 0.0f;
  return n;
}

}  // namespace

TEST_CASE("dilate and erode with the square element") {
  const Image m = square(12, 4, 4, 4);
  CHECK(count(dilate(m, 1)) == 36);  // 6 x 6
  CHECK(count(dilate(m, 2)) == 64);  // 8 x 8
  CHECK(count(erode(m, 1)) == 4);    // 2 x 2
  CHECK(count(erode(m, 2)) == 0);
  CHECK(dilate(m, 0).px == m.px);
  // Replicated borders: a mask touching the border does not erode from the border side.
  const Image corner = square(6, 0, 0, 3);
  CHECK(count(erode(corner, 1)) == 4);  // rows/cols 0..1
}

TEST_CASE("edges from masks: a band of the given width straddling the boundary") {
  const Image m = square(16, 4, 4, 6);  // 6 x 6 square
  const Image e1 = edges_from_mask(m, 1);
  CHECK(count(e1) == 36 - 16);  // the square's own boundary ring
  for (int64_t i = 0; i < e1.numel(); ++i)
    if (e1.px[size_t(i)] != 0.0f) CHECK(m.px[size_t(i)] == 1.0f);
  const Image e2 = edges_from_mask(m, 2);
  CHECK(count(e2) == 64 - 36 + 36 - 16);  // one ring outside, one inside
  const Image e3 = edges_from_mask(m, 3);
  CHECK(count(e3) == 64 - 16 + 16 - 4);  // one ring outside, two inside
  CHECK(is_binary(e3));
  CHECK(count(edges_from_mask(Image(8, 8), 1)) == 0);
  CHECK(test::contains(test::error_of([&] { edges_from_mask(m, 0); }), "width must be at least 1"));
}

TEST_CASE("components (8-connected): labels, the largest, small ones removed; hole filling") {
  Image m(8, 8);
  m.at(0, 0) = 1;
  m.at(1, 1) = 1;  // diagonal neighbour: same component
  m.at(2, 2) = 1;
  m.at(6, 6) = m.at(6, 7) = 1;
  const Image lc = largest_component(m);
  CHECK(count(lc) == 3);
  CHECK(lc.at(6, 6) == 0.0f);
  CHECK(count(largest_component(Image(4, 4))) == 0);
  std::vector<int32_t> label;
  std::vector<int64_t> sizes;
  CHECK(label_components(m, label, sizes) == 2);
  CHECK(label[0] == label[9]);  // (0,0) and (1,1) touch diagonally
  CHECK(sizes[size_t(label[0])] == 3);
  const Image big = remove_small_components(m, 3);  // the pair at (6,6) goes
  CHECK(count(big) == 3);
  CHECK(big.at(6, 7) == 0.0f);
  CHECK(count(remove_small_components(m, 1)) == 5);

  Image ring = square(10, 2, 2, 6);
  ring.at(4, 4) = ring.at(4, 5) = ring.at(5, 4) = ring.at(5, 5) = 0;  // a hole
  Image open = ring;
  open.at(2, 4) = 0;  // a notch from outside is not a hole
  CHECK(count(fill_holes(ring)) == 36);
  CHECK(count(fill_holes(open)) == 35);
}

TEST_CASE("Otsu separates two populations") {
  Image img(10, 10, 0.1f);
  for (int64_t i = 0; i < 40; ++i) img.px[size_t(i)] = 0.8f;
  const float t = otsu_threshold(img);
  CHECK(t > 0.1f);
  CHECK(t <= 0.8f);
  CHECK(otsu_threshold(Image(3, 3, 0.4f)) == 0.4f);
}

TEST_CASE("Gaussian kernels as OpenCV's getGaussianKernel") {
  CHECK(gaussian_kernel(3, 0) == std::vector<float>{0.25f, 0.5f, 0.25f});
  CHECK(gaussian_kernel(5, 0) == std::vector<float>{0.0625f, 0.25f, 0.375f, 0.25f, 0.0625f});
  // Size 9 with sigma <= 0: sigma = 0.3 * (4 - 1) + 0.8 = 1.7.
  const std::vector<float> k9 = gaussian_kernel(9, 0), ref = gaussian_kernel(9, 1.7);
  test::check_close(ref, k9, 0, 0, "k9");
  double sum = 0;
  for (float v : k9) sum += v;
  CHECK(sum == doctest::Approx(1.0));
  CHECK(k9[4] > k9[3]);
  CHECK(gaussian_ksize_for_sigma(4.0) == 33);
}

TEST_CASE("reflect-101 indices") {
  CHECK(reflect101(-1, 5) == 1);
  CHECK(reflect101(-2, 5) == 2);
  CHECK(reflect101(5, 5) == 3);
  CHECK(reflect101(6, 5) == 2);
  CHECK(reflect101(-9, 5) == 1);  // kernels longer than the row reflect again
  CHECK(reflect101(3, 1) == 0);
}

TEST_CASE("separable Gaussian blur matches SciPy (mode mirror = reflect-101)") {
  const Tensor in = read_npy(test::fixture("data/blur_in_9x11.npy"));
  const Tensor ref = read_npy(test::fixture("data/blur_k5_s1.3_9x11.npy"));
  Image img(9, 11);
  img.px = in.to_vector<float>();
  convolve_separable(img, gaussian_kernel(5, 1.3));
  test::check_close(ref.to_vector<float>(), img.px, 1e-6, 1e-5, "blur vs scipy");
}
