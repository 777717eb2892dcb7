#include "data/image_io.h"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <ostream>
#include <set>

#include "core/error.h"
#include "core/file_io.h"
#include "data/png.h"

namespace fbd::data {

namespace {

bool starts_with(const std::vector<char>& b, std::initializer_list<unsigned char> magic) {
  if (b.size() < magic.size()) return false;
  size_t i = 0;
  for (unsigned char m : magic)
    if (static_cast<unsigned char>(b[i++]) != m) return false;
  return true;
}

// What a file that is neither PNG nor JPEG looks like, for the error message.
std::string other_format(const std::vector<char>& b) {
  if (b.empty()) return "an empty file";
  if (starts_with(b, {'G', 'I', 'F', '8'})) return "GIF";
  if (starts_with(b, {'B', 'M'})) return "BMP";
  if (starts_with(b, {'I', 'I', 0x2A, 0}) || starts_with(b, {'M', 'M', 0, 0x2A})) return "TIFF";
  if (starts_with(b, {'R', 'I', 'F', 'F'})) return "RIFF/WebP";
  if (starts_with(b, {0x93, 'N', 'U', 'M', 'P', 'Y'})) return "NumPy .npy";
  if (b.size() >= 132 && std::memcmp(b.data() + 128, "DICM", 4) == 0) return "DICOM";
  return "an unknown format";
}

// JPEG entropy-coded data escapes 0xFF as FF 00, so FF D9 after the first start-of-scan can only
// be the end-of-image marker; without it the file was cut short (stb_image would pad the
// missing data with zeros and return a partly grey image).
void check_jpeg_complete(const std::vector<char>& b, const std::string& name) {
  const auto* p = reinterpret_cast<const unsigned char*>(b.data());
  const size_t n = b.size();
  size_t sos = 0;
  for (size_t i = 2; i + 1 < n; ++i)
    if (p[i] == 0xFF && p[i + 1] == 0xDA) {
      sos = i;
      break;
    }
  FBD_CHECK(sos > 0, name, ": truncated JPEG (no image data: no start-of-scan marker)");
  bool eoi = false;
  for (size_t i = n - 1; i > sos + 1 && !eoi; --i) eoi = p[i - 1] == 0xFF && p[i] == 0xD9;
  FBD_CHECK(eoi, name, ": truncated JPEG (no end-of-image marker: the file was cut short)");
}

// stb_image 2.27 (Debian 12's libstb) trusts a JPEG's Huffman tables: a table of more than 256
// codes overruns its arrays (CVE-2022-28042), and a scan that uses a table the file never
// defined decodes with uninitialised memory, reading out of bounds and failing an assertion
// that aborts the process (CVE-2022-29977). So the tables are checked here first, in one walk
// over the markers (entropy-coded data skipped): each table's code lengths must form a valid
// prefix code of at most 256 symbols, and each scan may use only tables defined before it
// (a progressive file's DC refinement scans use none, its DC scans no AC table).
void check_jpeg_tables(const std::vector<char>& b, const std::string& name) {
  const auto* p = reinterpret_cast<const unsigned char*>(b.data());
  const size_t n = b.size();
  bool defined[2][4] = {};  // [DC, AC][table id]
  bool progressive = false;
  for (size_t i = 2; i + 1 < n;) {
    const unsigned char m = p[i + 1];
    if (p[i] != 0xFF || m == 0x00 || m == 0xFF || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
      ++i;  // entropy-coded data, a stuffed zero, fill, TEM or a restart marker
      continue;
    }
    if (m == 0xD9) break;  // end of image
    FBD_CHECK(i + 4 <= n, name, ": truncated JPEG (the file ends inside a marker at byte ", i, ")");
    const size_t len = size_t(p[i + 2]) << 8 | p[i + 3];
    if (len < 2 || len > n - i - 2) {
      // A segment that runs past the end: stb stops there too, before any table or scan after
      // it, so only a table or scan header cut short needs a word here; otherwise decoding
      // says what is wrong (a truncated file, or nonsense headers).
      FBD_CHECK(m != 0xC4 && m != 0xDA, name, ": truncated JPEG (marker segment at byte ", i,
                " runs past the end of the file)");
      break;
    }
    const unsigned char* seg = p + i + 4;
    const size_t sl = len - 2;
    if (m == 0xC2) progressive = true;
    if (m == 0xC4) {  // DHT: one or more tables
      for (size_t k = 0; k < sl;) {
        FBD_CHECK(sl - k >= 17 && seg[k] >> 4 <= 1 && (seg[k] & 15) <= 3, name,
                  ": corrupt JPEG (bad Huffman table header at byte ", i, ")");
        size_t symbols = 0;
        uint32_t code = 0;  // the canonical code after the codes of each length (JPEG Annex C)
        bool prefix_code = true;
        for (int j = 1; j <= 16; ++j) {
          symbols += seg[k + size_t(j)];
          code += seg[k + size_t(j)];
          prefix_code = prefix_code && code <= (1u << j);
          code <<= 1;
        }
        FBD_CHECK(prefix_code && symbols <= 256 && symbols <= sl - k - 17, name,
                  ": corrupt JPEG (bad Huffman table at byte ", i, ")");
        defined[seg[k] >> 4][seg[k] & 15] = true;
        k += 17 + symbols;
      }
    } else if (m == 0xDA) {  // SOS: the tables of each component of the scan
      FBD_CHECK(sl >= 1 && sl >= 4 + 2 * size_t(seg[0]), name, ": corrupt JPEG (bad scan header at byte ", i, ")");
      const size_t ns = seg[0];
      const bool dc_first = seg[1 + 2 * ns] == 0 && seg[3 + 2 * ns] >> 4 == 0;  // Ss == 0, Ah == 0
      const bool uses_dc = !progressive || dc_first, uses_ac = !progressive || seg[1 + 2 * ns] > 0;
      for (size_t c = 0; c < ns; ++c) {
        const int td = seg[2 + 2 * c] >> 4, ta = seg[2 + 2 * c] & 15;
        FBD_CHECK((!uses_dc || (td <= 3 && defined[0][td])) && (!uses_ac || (ta <= 3 && defined[1][ta])), name,
                  ": corrupt JPEG (a scan uses a Huffman table the file does not define)");
      }
    }
    i += 2 + len;
  }
}

struct StbFree {
  void operator()(void* p) const { stbi_image_free(p); }
};

template <typename T>
void to_gray(const T* src, int64_t count, int channels, std::vector<float>& gray) {
  gray.resize(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const T* s = src + i * channels;
    if (channels <= 2) {
      gray[size_t(i)] = float(s[0]);
    } else {
      // BT.601 luma in integer arithmetic, so gray RGB stays exact and white stays at the maximum.
      const uint64_t y = (299ull * s[0] + 587ull * s[1] + 114ull * s[2] + 500ull) / 1000ull;
      gray[size_t(i)] = float(y);
    }
  }
}

uint16_t quantise(float v, float lo, float hi, float maxv) {
  const float t = hi > lo ? (v - lo) / (hi - lo) : 0.0f;
  const float c = std::isnan(t) ? 0.0f : std::clamp(t, 0.0f, 1.0f);
  return uint16_t(std::lround(c * maxv));
}

void append(void* ctx, void* data, int size) {
  auto* out = static_cast<std::vector<char>*>(ctx);
  out->insert(out->end(), static_cast<char*>(data), static_cast<char*>(data) + size);
}

void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  write_file_atomic(path, [&](std::ostream& os) { os.write(bytes.data(), std::streamsize(bytes.size())); });
}

}  // namespace

int64_t max_image_pixels() {
  const char* env = std::getenv("FBD_MAX_PIXELS");
  if (env == nullptr || *env == '\0') return kDefaultMaxImagePixels;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(env, &end, 10);
  FBD_CHECK(errno == 0 && end != env && *end == '\0' && v > 0, "FBD_MAX_PIXELS must be a positive whole number, got '",
            env, "'");
  return int64_t(v);
}

namespace {
void check_pixel_count(int64_t width, int64_t height, const std::string& name) {
  const int64_t limit = max_image_pixels();
  FBD_CHECK(width * height <= limit, name, ": ", width, " x ", height, " = ", width * height,
            " pixels, more than the limit of ", limit, " (set FBD_MAX_PIXELS to raise it)");
}
}  // namespace

RawImage decode_image(const std::vector<char>& bytes, const std::string& name) {
  RawImage raw;
  const bool png = has_png_signature(bytes);
  const bool jpeg = starts_with(bytes, {0xFF, 0xD8, 0xFF});
  FBD_CHECK(png || jpeg, name, ": unsupported image format (", other_format(bytes), "); fbd reads PNG and JPEG");
  FBD_CHECK(bytes.size() < (size_t(1) << 31), name, ": file too large");
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int len = int(bytes.size());
  int w = 0, h = 0, comp = 0;
  if (png) {
    const PngHeader hdr = check_png_structure(bytes, name);
    check_pixel_count(hdr.width, hdr.height, name);
    raw.format = ImageFormat::PNG;
    raw.bit_depth = hdr.bit_depth == 16 ? 16 : 8;
  } else {
    check_jpeg_complete(bytes, name);
    check_jpeg_tables(bytes, name);
    if (stbi_info_from_memory(data, len, &w, &h, &comp)) check_pixel_count(w, h, name);  // else: decoding says why
    raw.format = ImageFormat::JPEG;
    raw.bit_depth = 8;
  }
  if (raw.bit_depth == 16) {
    std::unique_ptr<stbi_us, StbFree> px(stbi_load_16_from_memory(data, len, &w, &h, &comp, 0));
    FBD_CHECK(px != nullptr, name, ": corrupt PNG (", stbi_failure_reason(), ")");
    to_gray(px.get(), int64_t(w) * h, comp, raw.gray);
  } else {
    std::unique_ptr<stbi_uc, StbFree> px(stbi_load_from_memory(data, len, &w, &h, &comp, 0));
    FBD_CHECK(px != nullptr, name, ": ", png ? "corrupt PNG" : "corrupt or unsupported JPEG", " (",
              stbi_failure_reason(), ")");
    to_gray(px.get(), int64_t(w) * h, comp, raw.gray);
  }
  raw.height = h;
  raw.width = w;
  raw.channels = comp;
  return raw;
}

RawImage read_raw_image(const std::string& path) { return decode_image(read_file(path), path); }

Image read_image(const std::string& path) {
  const RawImage raw = read_raw_image(path);
  Image img(raw.height, raw.width);
  const float inv = 1.0f / raw.max_value();
  for (size_t i = 0; i < raw.gray.size(); ++i) img.px[i] = raw.gray[i] * inv;
  return img;
}

std::string mask_value_problem(const RawImage& raw) {
  std::set<float> values;
  for (float v : raw.gray) {
    values.insert(v);
    if (values.size() > 8) break;
  }
  values.erase(0.0f);
  if (values.empty()) return "";
  if (values.size() == 1) {
    const float v = *values.begin();
    if (v == 1.0f || v == raw.max_value()) return "";
  }
  values.insert(0.0f);
  std::string list;
  int shown = 0;
  for (float v : values) {
    if (shown++ == 5) {
      list += ", ...";
      break;
    }
    list += (list.empty() ? "" : ", ") + std::to_string(int64_t(v));
  }
  const std::string top = raw.bit_depth == 16 ? "65535" : "255";
  return "values must be 0 and 1 or 0 and " + top + "; found " +
         (values.size() > 8 ? std::string("more than 8") : std::to_string(values.size())) + " distinct values: " + list;
}

Image mask_from_raw(const RawImage& raw, const std::string& name) {
  FBD_CHECK(raw.format == ImageFormat::PNG, name,
            ": masks must be PNG (JPEG's lossy compression makes a mask non-binary)");
  const std::string problem = mask_value_problem(raw);
  FBD_CHECK(problem.empty(), name, ": mask is not binary: ", problem);
  Image m(raw.height, raw.width);
  for (size_t i = 0; i < raw.gray.size(); ++i) m.px[i] = raw.gray[i] != 0.0f ? 1.0f : 0.0f;
  return m;
}

Image read_mask(const std::string& path) { return mask_from_raw(read_raw_image(path), path); }

RgbImage::RgbImage(int64_t h, int64_t w, uint8_t r, uint8_t g, uint8_t b)
    : height(h), width(w), px(static_cast<size_t>(h * w * 3)) {
  for (size_t i = 0; i < px.size(); i += 3) {
    px[i] = r;
    px[i + 1] = g;
    px[i + 2] = b;
  }
}

std::vector<char> encode_png(const Image& img, int bit_depth, float lo, float hi) {
  FBD_CHECK(bit_depth == 8 || bit_depth == 16, "write_png: bit depth must be 8 or 16, got ", bit_depth);
  FBD_CHECK(!img.empty(), "write_png: empty image");
  if (bit_depth == 16) {
    std::vector<uint16_t> s(img.px.size());
    for (size_t i = 0; i < s.size(); ++i) s[i] = quantise(img.px[i], lo, hi, 65535.0f);
    return encode_png16(s.data(), img.height, img.width, 1);
  }
  std::vector<uint8_t> s(img.px.size());
  for (size_t i = 0; i < s.size(); ++i) s[i] = uint8_t(quantise(img.px[i], lo, hi, 255.0f));
  std::vector<char> out;
  const int ok = stbi_write_png_to_func(append, &out, int(img.width), int(img.height), 1, s.data(), int(img.width));
  FBD_CHECK(ok != 0, "write_png: stb_image_write failed for a ", img.size_str(), " image");
  return out;
}

std::vector<char> encode_png(const RgbImage& img) {
  FBD_CHECK(img.height > 0 && img.width > 0, "write_png: empty image");
  std::vector<char> out;
  const int ok =
      stbi_write_png_to_func(append, &out, int(img.width), int(img.height), 3, img.px.data(), int(img.width * 3));
  FBD_CHECK(ok != 0, "write_png: stb_image_write failed for a ", img.height, "x", img.width, " RGB image");
  return out;
}

void write_png(const std::string& path, const Image& img, int bit_depth, float lo, float hi) {
  write_bytes(path, encode_png(img, bit_depth, lo, hi));
}

void write_mask_png(const std::string& path, const Image& mask) {
  Image m = mask;
  for (float& v : m.px) v = v != 0.0f ? 1.0f : 0.0f;
  write_bytes(path, encode_png(m, 8, 0.0f, 1.0f));
}

void write_png(const std::string& path, const RgbImage& img) { write_bytes(path, encode_png(img)); }

}  // namespace fbd::data
