// Reading and writing images (stb_image / stb_image_write, plus fbd's own 16-bit PNG encoder).
//
// Read: PNG (1/2/4/8/16-bit gray, gray + alpha, RGB, RGBA, palette) and JPEG (baseline and
// progressive, 8-bit). Colour is turned into gray by the ITU-R BT.601 luma weights
// (0.299 R + 0.587 G + 0.114 B, rounded to the nearest integer sample); alpha is ignored.
// A corrupt, truncated or unsupported file is a one-line fbd::Error naming the file.
// Masks must be PNG (JPEG's lossy compression makes them non-binary).
//
// Write: 8-bit gray and RGB PNG through stb_image_write, 16-bit gray PNG through
// encode_png16; every write is atomic (core/file_io.h).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/image.h"

namespace fbd::data {

enum class ImageFormat { PNG, JPEG };

// A decoded file as stored: gray sample values in 0 .. 2^bit_depth - 1 (as float).
struct RawImage {
  int64_t height = 0, width = 0;
  int bit_depth = 8;  // 8 or 16 (PNGs of 1, 2 or 4 bits are expanded to 8 with 0 -> 0, max -> 255)
  int channels = 1;   // in the file: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA
  ImageFormat format = ImageFormat::PNG;
  std::vector<float> gray;
  float max_value() const { return bit_depth == 16 ? 65535.0f : 255.0f; }
};

// The most pixels one image may have before it is decoded: 2^26 (8192 x 8192) unless the
// environment variable FBD_MAX_PIXELS gives another positive number. A file that declares more
// is refused from its header, before any memory is taken for its pixels (a small PNG of zeros
// can declare 20000 x 20000). A bad FBD_MAX_PIXELS is a one-line error.
inline constexpr int64_t kDefaultMaxImagePixels = int64_t(1) << 26;
int64_t max_image_pixels();

// `name` is used in error messages (normally the path). Refuses images of more than
// max_image_pixels() pixels.
RawImage decode_image(const std::vector<char>& bytes, const std::string& name);
RawImage read_raw_image(const std::string& path);

// An image scaled to [0, 1] by its bit depth (raw / (2^bits - 1)).
Image read_image(const std::string& path);

// Mask values: a mask file must hold only 0 and one other value, which is 1 or the bit depth's
// maximum (255, 65535); an all-zero mask is valid. Returns "" when `raw` is such a mask, else
// why not ("values must be 0 and 1 or 0 and 255; found 3 distinct values: 0, 128, 255").
std::string mask_value_problem(const RawImage& raw);
// A mask as float {0, 1}; throws "<path>: mask is not binary: ..." otherwise, and
// "<path>: masks must be PNG ..." for a JPEG.
Image read_mask(const std::string& path);
Image mask_from_raw(const RawImage& raw, const std::string& name);

// 8-bit RGB raster for figures (overlays, galleries).
struct RgbImage {
  int64_t height = 0, width = 0;
  std::vector<uint8_t> px;  // height * width * 3
  RgbImage() = default;
  RgbImage(int64_t h, int64_t w, uint8_t r = 0, uint8_t g = 0, uint8_t b = 0);
  uint8_t* at(int64_t y, int64_t x) { return &px[static_cast<size_t>((y * width + x) * 3)]; }
  const uint8_t* at(int64_t y, int64_t x) const { return &px[static_cast<size_t>((y * width + x) * 3)]; }
};

// Gray PNG of `img` with [lo, hi] mapped to [0, 2^bits - 1] (clamped, rounded); bit_depth 8 or 16.
void write_png(const std::string& path, const Image& img, int bit_depth = 8, float lo = 0.0f, float hi = 1.0f);
// An 8-bit mask PNG: 0 where the mask is 0, 255 elsewhere.
void write_mask_png(const std::string& path, const Image& mask);
void write_png(const std::string& path, const RgbImage& img);

// The same as bytes in memory.
std::vector<char> encode_png(const Image& img, int bit_depth = 8, float lo = 0.0f, float hi = 1.0f);
std::vector<char> encode_png(const RgbImage& img);

}  // namespace fbd::data
