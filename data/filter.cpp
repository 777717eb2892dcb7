#include "data/filter.h"

#include <cmath>

#include "core/error.h"

namespace fbd::data {

int64_t reflect101(int64_t i, int64_t n) {
  if (n == 1) return 0;
  const int64_t period = 2 * n - 2;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}

std::vector<float> gaussian_kernel(int ksize, double sigma) {
  FBD_CHECK(ksize >= 1 && ksize % 2 == 1, "gaussian kernel: size must be odd and positive, got ", ksize);
  if (sigma <= 0.0 && ksize <= 7) {
    // OpenCV's fixed kernels for the small sizes when no sigma is given.
    switch (ksize) {
      case 1: return {1.0f};
      case 3: return {0.25f, 0.5f, 0.25f};
      case 5: return {0.0625f, 0.25f, 0.375f, 0.25f, 0.0625f};
      default: return {0.03125f, 0.109375f, 0.21875f, 0.28125f, 0.21875f, 0.109375f, 0.03125f};
    }
  }
  if (sigma <= 0.0) sigma = 0.3 * ((ksize - 1) * 0.5 - 1.0) + 0.8;
  std::vector<double> w(static_cast<size_t>(ksize));
  double sum = 0.0;
  const double c = (ksize - 1) * 0.5;
  for (int i = 0; i < ksize; ++i) {
    w[size_t(i)] = std::exp(-(i - c) * (i - c) / (2.0 * sigma * sigma));
    sum += w[size_t(i)];
  }
  std::vector<float> k(static_cast<size_t>(ksize));
  for (int i = 0; i < ksize; ++i) k[size_t(i)] = float(w[size_t(i)] / sum);
  return k;
}

int gaussian_ksize_for_sigma(double sigma) { return 2 * int(std::lround(4.0 * sigma)) + 1; }

void convolve_separable(Image& img, const std::vector<float>& k) {
  if (img.empty() || k.size() == 1) return;
  const int64_t H = img.height, W = img.width, r = int64_t(k.size() / 2);
  // Rows: copy each row into a padded buffer so the inner loop has no border logic.
  std::vector<float> padded(static_cast<size_t>(W + 2 * r));
  std::vector<float> tmp(img.px.size());
  for (int64_t y = 0; y < H; ++y) {
    const float* row = &img.px[size_t(y * W)];
    for (int64_t i = -r; i < W + r; ++i) padded[size_t(i + r)] = row[reflect101(i, W)];
    // Tap by tap over the whole row: contiguous, vectorisable, the same sums in the same order.
    float* out = &tmp[size_t(y * W)];
    for (int64_t x = 0; x < W; ++x) out[x] = 0.0f;
    for (int64_t j = 0; j < int64_t(k.size()); ++j) {
      const float kj = k[size_t(j)];
      const float* src = padded.data() + j;
      for (int64_t x = 0; x < W; ++x) out[x] += kj * src[x];
    }
  }
  // Columns: accumulate whole rows (contiguous, vectorisable).
  for (int64_t y = 0; y < H; ++y) {
    float* out = &img.px[size_t(y * W)];
    for (int64_t x = 0; x < W; ++x) out[x] = 0.0f;
    for (int64_t j = 0; j < int64_t(k.size()); ++j) {
      const float kj = k[size_t(j)];
      const float* src = &tmp[size_t(reflect101(y + j - r, H) * W)];
      for (int64_t x = 0; x < W; ++x) out[x] += kj * src[x];
    }
  }
}

}  // namespace fbd::data
