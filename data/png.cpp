#include "data/png.h"

#include <array>
#include <cstdlib>
#include <cstring>

#include "core/error.h"

// Exported by Debian's libstb.so (stb_image_write's zlib deflate) but declared only inside the
// header's implementation section. The result is malloc'ed.
extern "C" unsigned char* stbi_zlib_compress(unsigned char* data, int data_len, int* out_len, int quality);

namespace fbd::data {

namespace {

constexpr unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

uint32_t be32(const unsigned char* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

void put_be32(std::vector<char>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(char((v >> s) & 0xFF));
}

const std::array<uint32_t, 256>& crc_table() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  return table;
}

// Appends one chunk: length, type, data, CRC over type and data.
void put_chunk(std::vector<char>& out, const char type[4], const unsigned char* data, size_t n) {
  put_be32(out, uint32_t(n));
  const size_t type_at = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data, data + n);
  put_be32(out, crc32(reinterpret_cast<const uint8_t*>(out.data() + type_at), n + 4));
}

bool valid_type(const unsigned char* t) {
  for (int i = 0; i < 4; ++i) {
    const unsigned char c = t[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return false;
  }
  return true;
}

}  // namespace

uint32_t crc32(const uint8_t* data, size_t n, uint32_t crc) {
  const auto& t = crc_table();
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = t[(crc ^ data[i]) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

bool has_png_signature(const std::vector<char>& bytes) {
  return bytes.size() >= 8 && std::memcmp(bytes.data(), kSignature, 8) == 0;
}

PngHeader check_png_structure(const std::vector<char>& bytes, const std::string& name) {
  FBD_CHECK(has_png_signature(bytes), name, ": not a PNG file (bad signature)");
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  PngHeader h;
  bool seen_ihdr = false, seen_idat = false, seen_iend = false;
  size_t pos = 8;
  while (pos < n && !seen_iend) {
    FBD_CHECK(n - pos >= 12, name, ": truncated PNG (the file ends inside a chunk header at byte ", pos, ")");
    const uint32_t len = be32(b + pos);
    const unsigned char* type = b + pos + 4;
    const std::string tname = valid_type(type) ? std::string(reinterpret_cast<const char*>(type), 4) : "?";
    FBD_CHECK(tname != "?", name, ": corrupt PNG (invalid chunk type at byte ", pos, ")");
    FBD_CHECK(len <= 0x7FFFFFFFu, name, ": corrupt PNG (chunk ", tname, " at byte ", pos, " claims ", len, " bytes)");
    FBD_CHECK(size_t(len) <= n - pos - 12, name, ": truncated PNG (chunk ", tname, " at byte ", pos, " needs ",
              len + 12, " bytes, the file has ", n - pos, " left)");
    const uint32_t stored = be32(b + pos + 8 + len);
    FBD_CHECK(crc32(type, size_t(len) + 4) == stored, name, ": corrupt PNG (CRC mismatch in chunk ", tname, " at byte ",
              pos, ")");
    if (!seen_ihdr) {
      FBD_CHECK(tname == "IHDR" && len == 13, name, ": corrupt PNG (the first chunk is ", tname, ", not IHDR)");
      const unsigned char* d = b + pos + 8;
      h.width = be32(d);
      h.height = be32(d + 4);
      h.bit_depth = d[8];
      h.color_type = d[9];
      h.interlace = d[12];
      seen_ihdr = true;
    } else if (tname == "IDAT") {
      seen_idat = true;
    } else if (tname == "IEND") {
      seen_iend = true;
    }
    pos += size_t(len) + 12;
  }
  FBD_CHECK(seen_ihdr, name, ": truncated PNG (no IHDR chunk)");
  FBD_CHECK(seen_idat, name, ": truncated PNG (no image data: no IDAT chunk)");
  FBD_CHECK(seen_iend, name, ": truncated PNG (no IEND chunk: the file was cut short)");
  FBD_CHECK(h.width > 0 && h.height > 0, name, ": corrupt PNG (size ", h.width, "x", h.height, ")");
  const int bd = h.bit_depth, ct = h.color_type;
  const bool ok = (ct == 0 && (bd == 1 || bd == 2 || bd == 4 || bd == 8 || bd == 16)) ||
                  (ct == 3 && (bd == 1 || bd == 2 || bd == 4 || bd == 8)) ||
                  ((ct == 2 || ct == 4 || ct == 6) && (bd == 8 || bd == 16));
  FBD_CHECK(ok, name, ": unsupported PNG (colour type ", ct, " with bit depth ", bd, ")");
  FBD_CHECK(h.width <= (1u << 15) && h.height <= (1u << 15), name, ": unsupported PNG (", h.width, "x", h.height,
            " is larger than fbd's limit of 32768 pixels a side)");
  return h;
}

std::vector<char> encode_png16(const uint16_t* samples, int64_t height, int64_t width, int channels) {
  FBD_CHECK(channels == 1 || channels == 3, "encode_png16: channels must be 1 or 3, got ", channels);
  FBD_CHECK(height > 0 && width > 0, "encode_png16: empty image ", height, "x", width);
  const size_t row_bytes = size_t(width) * size_t(channels) * 2;
  // Filtered scanlines: one filter-type byte (2 = Up) and the row's big-endian bytes minus the
  // bytes above them (mod 256).
  std::vector<unsigned char> raw(size_t(height) * (row_bytes + 1));
  std::vector<unsigned char> prev(row_bytes, 0), cur(row_bytes);
  for (int64_t y = 0; y < height; ++y) {
    const uint16_t* row = samples + size_t(y) * size_t(width) * size_t(channels);
    for (size_t i = 0; i < size_t(width) * size_t(channels); ++i) {
      cur[2 * i] = (unsigned char)(row[i] >> 8);
      cur[2 * i + 1] = (unsigned char)(row[i] & 0xFF);
    }
    unsigned char* out = raw.data() + size_t(y) * (row_bytes + 1);
    out[0] = 2;
    for (size_t i = 0; i < row_bytes; ++i) out[1 + i] = (unsigned char)(cur[i] - prev[i]);
    std::swap(prev, cur);
  }
  FBD_CHECK(raw.size() < size_t(1) << 31, "encode_png16: image too large (", height, "x", width, ")");
  int zlen = 0;
  unsigned char* z = stbi_zlib_compress(raw.data(), int(raw.size()), &zlen, 8);
  FBD_CHECK(z != nullptr, "encode_png16: deflate failed");

  std::vector<char> png(kSignature, kSignature + 8);
  unsigned char ihdr[13];
  const uint32_t w32 = uint32_t(width), h32 = uint32_t(height);
  for (int i = 0; i < 4; ++i) {
    ihdr[i] = (unsigned char)(w32 >> (24 - 8 * i));
    ihdr[4 + i] = (unsigned char)(h32 >> (24 - 8 * i));
  }
  ihdr[8] = 16;
  ihdr[9] = channels == 1 ? 0 : 2;
  ihdr[10] = ihdr[11] = ihdr[12] = 0;
  put_chunk(png, "IHDR", ihdr, 13);
  put_chunk(png, "IDAT", z, size_t(zlen));
  std::free(z);
  put_chunk(png, "IEND", nullptr, 0);
  return png;
}

}  // namespace fbd::data
