// Drawing for figures (the phantom gallery, the augmentation preview, overlays): gray images
// into RGB, mask outlines, and text labels in stb_easy_font's small bitmap font.
#pragma once
#include <array>
#include <string>

#include "data/image.h"
#include "data/image_io.h"

namespace fbd::data {

using Rgb = std::array<uint8_t, 3>;

// The image with [lo, hi] mapped to black..white (clamped).
RgbImage gray_to_rgb(const Image& img, float lo = 0.0f, float hi = 1.0f);
// Copies src into dst with its top-left corner at (y, x); parts outside dst are dropped.
void blit(RgbImage& dst, const RgbImage& src, int64_t y, int64_t x);
// Colours, at offset (y, x) in dst, the mask's boundary pixels (foreground pixels with a
// background 4-neighbour): the outline an overlay shows.
void draw_outline(RgbImage& dst, const Image& mask, int64_t y, int64_t x, Rgb color);
// Text with its top-left corner at (y, x); each font pixel becomes scale x scale pixels.
void draw_text(RgbImage& dst, int64_t y, int64_t x, const std::string& text, Rgb color, int scale = 1);
int64_t text_width(const std::string& text, int scale = 1);
int64_t text_height(int scale = 1);

}  // namespace fbd::data
