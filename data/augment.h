// The augmentations of the paper ("Data Augmentation", Fig. 6), each a small deterministic
// transform; the random parameters are drawn by the pipeline (data/pipeline.h).
//
// Intensity transforms change the image only. Geometric transforms move image, mask and edge
// with the same map: the image is sampled bilinearly, masks and edges by nearest neighbour, so
// they stay exactly binary; pixels that come from outside the image are 0 (air, background).
// All maps are inverse maps: output pixel p takes the value at source(p).
#pragma once
#include <cstdint>
#include <vector>

#include "data/image.h"

namespace fbd::data {

// ---- intensity ----

// Gaussian blur with an odd kernel size (sigma <= 0: OpenCV's default for that size),
// reflect-101 borders, as cv::GaussianBlur(img, ksize x ksize, sigma).
void gaussian_blur(Image& img, int ksize, double sigma = 0.0);

// Contrast-limited adaptive histogram equalisation as OpenCV's cv::CLAHE defines it, on the
// image quantised to 8 bits (round(clamp(v, 0, 1) * 255)); the result is the 8-bit output / 255.
//   - the image is split into tiles_x x tiles_y tiles (padded by reflect-101 on the right and
//     bottom when the size is not a multiple);
//   - per tile a 256-bin histogram is clipped at max(1, int(clip_limit * tile_pixels / 256)),
//     the clipped excess is spread evenly over the bins, the remainder one count every
//     256 / remainder bins from bin 0;
//   - the tile's map is round(cumulative count * 255 / tile_pixels);
//   - each pixel blends the maps of the four nearest tile centres bilinearly.
// clip_limit <= 0 disables clipping (plain adaptive equalisation).
void clahe(Image& img, double clip_limit, int tiles_x, int tiles_y);

// (x - mean) / std over the image (only the mean is removed from a constant image).
void normalize_zscore(Image& img);
// (x - min) / (max - min) into [0, 1] (a constant image becomes 0).
void normalize_minmax(Image& img);

// x <- contrast * (x - mean) + mean + brightness: contrast about the image mean, then a shift.
void brightness_contrast(Image& img, float brightness, float contrast);
// x <- max(x, 0)^gamma.
void gamma_correct(Image& img, float gamma);

// ---- geometry (image, mask and edge together) ----

// Mirror left-right (horizontal) or top-bottom.
void flip(Sample& s, bool horizontal);
// Rotation by `degrees` (counter-clockwise as displayed) about the image centre
// ((W - 1) / 2, (H - 1) / 2). Multiples of 90 degrees on a square image are exact.
void rotate(Sample& s, double degrees);
// Simard et al. (2003): a displacement field of independent U(-1, 1) values per pixel and
// axis (Philox stream `key`), smoothed by a Gaussian of standard deviation sigma (pixels,
// reflect-101 borders, kernel 2 round(4 sigma) + 1) and scaled by alpha (pixels); the output
// at p is the input at p + d(p).
void elastic(Sample& s, double alpha, double sigma, uint64_t key);
// The displacement field elastic() uses (dx then dy, H x W each), exposed for tests.
void elastic_field(int64_t height, int64_t width, double alpha, double sigma, uint64_t key, Image& dx, Image& dy);

// General inverse map: output (y, x) takes the input at (src_y[i], src_x[i]), i = y * W + x;
// the output has the given size.
void warp(Sample& s, int64_t height, int64_t width, const std::vector<float>& src_y, const std::vector<float>& src_x);

// Resize to height x width (bilinear image, nearest masks).
void resize(Sample& s, int64_t height, int64_t width);

}  // namespace fbd::data
