// Intensity augmentations: Gaussian blur, normalisation, brightness / contrast, gamma.
#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "data/augment.h"
#include "data/filter.h"

namespace fbd::data {

void gaussian_blur(Image& img, int ksize, double sigma) {
  FBD_CHECK(ksize >= 1 && ksize % 2 == 1, "gaussian_blur: kernel size must be odd and positive, got ", ksize);
  convolve_separable(img, gaussian_kernel(ksize, sigma));
}

void normalize_zscore(Image& img) {
  if (img.empty()) return;
  double s = 0.0, s2 = 0.0;
  for (float v : img.px) s += v;
  const double mean = s / double(img.numel());
  for (float v : img.px) s2 += (v - mean) * (v - mean);
  const double sd = std::sqrt(s2 / double(img.numel()));
  const float m = float(mean), inv = sd > 1e-12 ? float(1.0 / sd) : 1.0f;
  for (float& v : img.px) v = (v - m) * inv;
}

void normalize_minmax(Image& img) {
  if (img.empty()) return;
  const auto [mn, mx] = std::minmax_element(img.px.begin(), img.px.end());
  const float lo = *mn, range = *mx - *mn;
  const float inv = range > 0.0f ? 1.0f / range : 0.0f;
  for (float& v : img.px) v = (v - lo) * inv;
}

void brightness_contrast(Image& img, float brightness, float contrast) {
  const float m = float(mean_value(img));
  for (float& v : img.px) v = contrast * (v - m) + m + brightness;
}

void gamma_correct(Image& img, float gamma) {
  FBD_CHECK(gamma > 0.0f, "gamma: exponent must be positive, got ", gamma);
  for (float& v : img.px) v = v > 0.0f ? std::pow(v, gamma) : 0.0f;
}

}  // namespace fbd::data
