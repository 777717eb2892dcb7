// PNG at the byte level: a structural check run before stb_image decodes a file, and the
// 16-bit encoder that stb_image_write lacks.
//
// stb_image ignores chunk CRCs and reads past a truncated file as if it held zeros, so a
// damaged PNG could decode into a plausible but wrong image, or fail with a message about an
// "unknown chunk". check_png_structure walks the chunks first (lengths inside the file,
// CRC-32 of every chunk, IHDR first, IEND present) so each kind of damage gets its own
// one-line error naming the file.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace fbd::data {

struct PngHeader {
  uint32_t width = 0, height = 0;
  int bit_depth = 0;   // 1, 2, 4, 8 or 16
  int color_type = 0;  // 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA
  int interlace = 0;
};

bool has_png_signature(const std::vector<char>& bytes);

// Throws fbd::Error "<name>: truncated PNG ..." / "<name>: corrupt PNG ..." / "<name>:
// unsupported PNG ..." and otherwise returns the IHDR fields.
PngHeader check_png_structure(const std::vector<char>& bytes, const std::string& name);

// CRC-32 (ISO 3309, polynomial 0xEDB88320) as PNG uses it, continuing from `crc`.
uint32_t crc32(const uint8_t* data, size_t n, uint32_t crc = 0);

// A complete PNG file of 16-bit samples (gray when channels == 1, RGB when 3), row-major,
// no interlacing, every row with the Up filter (a good choice for smooth images).
std::vector<char> encode_png16(const uint16_t* samples, int64_t height, int64_t width, int channels);

}  // namespace fbd::data
