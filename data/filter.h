// Linear filtering on Images: Gaussian kernels as OpenCV defines them and a separable
// convolution with OpenCV's default border (BORDER_REFLECT_101: ...dcb|abcd|cba...).
#pragma once
#include <vector>

#include "data/image.h"

namespace fbd::data {

// Index i of a row of n reflected into [0, n) without repeating the edge pixel.
int64_t reflect101(int64_t i, int64_t n);

// The normalised 1-D Gaussian of odd length `ksize`: w_i proportional to
// exp(-(i - (ksize - 1) / 2)^2 / (2 sigma^2)). With sigma <= 0 it is what OpenCV's
// getGaussianKernel gives: its fixed tables for sizes 1, 3, 5 and 7 ([1/4, 1/2, 1/4],
// [1, 4, 6, 4, 1] / 16, [2, 7, 14, 18, 14, 7, 2] / 64), else sigma = 0.3 ((ksize - 1) / 2 - 1) + 0.8.
std::vector<float> gaussian_kernel(int ksize, double sigma);

// The kernel length OpenCV's GaussianBlur uses for a given sigma when asked to choose (for
// float images: 2 * round(4 sigma) + 1), used by the elastic transform.
int gaussian_ksize_for_sigma(double sigma);

// img <- (k applied along rows, then along columns), reflect-101 borders.
void convolve_separable(Image& img, const std::vector<float>& k);

}  // namespace fbd::data
