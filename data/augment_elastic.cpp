// Elastic deformation (Simard, Steinkraus and Platt, ICDAR 2003): smooth random displacements.
#include "core/error.h"
#include "data/augment.h"
#include "data/filter.h"
#include "data/random.h"

namespace fbd::data {

namespace {

// U(-1, 1) per pixel from the Philox stream `key` (element i from block i / 4, word i % 4).
Image uniform_field(int64_t H, int64_t W, uint64_t key) {
  Image f(H, W);
  const int64_t n = H * W;
  for (int64_t b = 0; b * 4 < n; ++b) {
    float v[4];
    kernels::uniform4(key, uint64_t(b), -1.0f, 1.0f, v);
    for (int64_t j = 0; j < 4 && 4 * b + j < n; ++j) f.px[size_t(4 * b + j)] = v[j];
  }
  return f;
}

}  // namespace

void elastic_field(int64_t height, int64_t width, double alpha, double sigma, uint64_t key, Image& dx, Image& dy) {
  FBD_CHECK(sigma > 0.0, "elastic: sigma must be positive, got ", sigma);
  const std::vector<float> k = gaussian_kernel(gaussian_ksize_for_sigma(sigma), sigma);
  dx = uniform_field(height, width, derive_key(key, 0, 0));
  dy = uniform_field(height, width, derive_key(key, 1, 0));
  convolve_separable(dx, k);
  convolve_separable(dy, k);
  for (float& v : dx.px) v *= float(alpha);
  for (float& v : dy.px) v *= float(alpha);
}

void elastic(Sample& s, double alpha, double sigma, uint64_t key) {
  const int64_t H = s.image.height, W = s.image.width;
  Image dx, dy;
  elastic_field(H, W, alpha, sigma, key, dx, dy);
  std::vector<float> sy(static_cast<size_t>(H * W)), sx(sy.size());
  for (int64_t y = 0; y < H; ++y)
    for (int64_t x = 0; x < W; ++x) {
      const size_t i = size_t(y * W + x);
      sx[i] = float(x) + dx.px[i];
      sy[i] = float(y) + dy.px[i];
    }
  warp(s, H, W, sy, sx);
}

}  // namespace fbd::data
