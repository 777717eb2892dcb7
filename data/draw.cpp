#include "data/draw.h"

#include <stb/stb_easy_font.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace fbd::data {

namespace {
// stb_easy_font indexes its tables by (char - 32) and knows ASCII 32..126 only.
std::string printable(const std::string& text) {
  std::string s = text;
  for (char& c : s)
    if (c < 32 || c > 126) c = '?';
  return s;
}
}  // namespace

RgbImage gray_to_rgb(const Image& img, float lo, float hi) {
  RgbImage out(img.height, img.width);
  const float scale = hi > lo ? 255.0f / (hi - lo) : 0.0f;
  for (size_t i = 0; i < img.px.size(); ++i) {
    const float v = std::clamp((img.px[i] - lo) * scale, 0.0f, 255.0f);
    const uint8_t g = std::isnan(v) ? 0 : uint8_t(std::lround(v));
    out.px[3 * i] = out.px[3 * i + 1] = out.px[3 * i + 2] = g;
  }
  return out;
}

void blit(RgbImage& dst, const RgbImage& src, int64_t y, int64_t x) {
  for (int64_t r = 0; r < src.height; ++r) {
    if (y + r < 0 || y + r >= dst.height) continue;
    for (int64_t c = 0; c < src.width; ++c) {
      if (x + c < 0 || x + c >= dst.width) continue;
      std::copy_n(src.at(r, c), 3, dst.at(y + r, x + c));
    }
  }
}

void draw_outline(RgbImage& dst, const Image& mask, int64_t y, int64_t x, Rgb color) {
  auto fg = [&](int64_t r, int64_t c) {
    return r >= 0 && r < mask.height && c >= 0 && c < mask.width && mask.at(r, c) != 0.0f;
  };
  for (int64_t r = 0; r < mask.height; ++r)
    for (int64_t c = 0; c < mask.width; ++c) {
      if (!fg(r, c) || (fg(r - 1, c) && fg(r + 1, c) && fg(r, c - 1) && fg(r, c + 1))) continue;
      if (y + r < 0 || y + r >= dst.height || x + c < 0 || x + c >= dst.width) continue;
      std::copy(color.begin(), color.end(), dst.at(y + r, x + c));
    }
}

void draw_text(RgbImage& dst, int64_t y, int64_t x, const std::string& text, Rgb color, int scale) {
  // stb_easy_font builds each glyph from axis-aligned quads (4 vertices of 16 bytes); fill them.
  std::vector<char> buf(text.size() * 300 + 64);
  std::string copy = printable(text);
  const int quads = stb_easy_font_print(0, 0, copy.data(), nullptr, buf.data(), int(buf.size()));
  for (int q = 0; q < quads; ++q) {
    const float* v0 = reinterpret_cast<const float*>(buf.data() + size_t(q) * 64);
    const float* v2 = reinterpret_cast<const float*>(buf.data() + size_t(q) * 64 + 32);
    const int64_t x0 = int64_t(std::lround(v0[0])), y0 = int64_t(std::lround(v0[1]));
    const int64_t x1 = int64_t(std::lround(v2[0])), y1 = int64_t(std::lround(v2[1]));
    for (int64_t r = y + y0 * scale; r < y + y1 * scale; ++r)
      for (int64_t c = x + x0 * scale; c < x + x1 * scale; ++c)
        if (r >= 0 && r < dst.height && c >= 0 && c < dst.width) std::copy(color.begin(), color.end(), dst.at(r, c));
  }
}

int64_t text_width(const std::string& text, int scale) {
  std::string copy = printable(text);
  return int64_t(stb_easy_font_width(copy.data())) * scale;
}

int64_t text_height(int scale) { return 8 * int64_t(scale); }

}  // namespace fbd::data
