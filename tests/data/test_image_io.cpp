// Image I/O: PNG round trips (8 and 16 bit, gray and RGB), files from an independent encoder
// (tests/reference/make_data_fixtures.py), JPEG, masks, and one error per kind of bad file.
#include <stb/stb_image_write.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/file_io.h"
#include "core/npy.h"
#include "data/image_io.h"
#include "data/png.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;
using namespace fbd::data;
using fbd::test::contains;
using fbd::test::error_of;

namespace {

std::vector<char> file_bytes(const std::string& path) { return read_file(path); }

void put_bytes(const std::string& path, const std::vector<char>& b) {
  std::ofstream(path, std::ios::binary).write(b.data(), std::streamsize(b.size()));
}

Image ramp(int64_t h, int64_t w) {
  Image img(h, w);
  for (int64_t i = 0; i < img.numel(); ++i) img.px[size_t(i)] = float(i) / float(img.numel() - 1);
  return img;
}

std::vector<char> jpeg_of(const std::vector<uint8_t>& gray, int w, int h) {
  std::vector<char> out;
  auto append = [](void* ctx, void* data, int size) {
    auto* o = static_cast<std::vector<char>*>(ctx);
    o->insert(o->end(), static_cast<char*>(data), static_cast<char*>(data) + size);
  };
  REQUIRE(stbi_write_jpg_to_func(append, &out, w, h, 1, gray.data(), 100) != 0);
  return out;
}

}  // namespace

TEST_CASE("PNG 8-bit gray round trip is exact") {
  test::TempDir dir;
  Image img(3, 5);
  for (int64_t i = 0; i < 15; ++i) img.px[size_t(i)] = float(i * 17) / 255.0f;
  write_png(dir.file("a.png"), img, 8);
  const RawImage raw = read_raw_image(dir.file("a.png"));
  CHECK(raw.bit_depth == 8);
  CHECK(raw.height == 3);
  CHECK(raw.width == 5);
  for (int64_t i = 0; i < 15; ++i) CHECK(raw.gray[size_t(i)] == float(i * 17));
  const Image back = read_image(dir.file("a.png"));
  for (size_t i = 0; i < 15; ++i) CHECK(back.px[i] == doctest::Approx(img.px[i]).epsilon(1e-6));
}

TEST_CASE("PNG 16-bit gray round trip is exact over the whole range") {
  test::TempDir dir;
  Image img(7, 9373);  // wide rows: several deflate blocks
  for (int64_t i = 0; i < img.numel(); ++i) img.px[size_t(i)] = float(i % 65536) / 65535.0f;
  write_png(dir.file("a.png"), img, 16);
  const RawImage raw = read_raw_image(dir.file("a.png"));
  REQUIRE(raw.bit_depth == 16);
  REQUIRE(raw.gray.size() == img.px.size());
  for (int64_t i = 0; i < img.numel(); ++i) REQUIRE(raw.gray[size_t(i)] == float(i % 65536));
  // A 16-bit file keeps precision an 8-bit one loses.
  const Image r16 = read_image(dir.file("a.png"));
  CHECK(r16.px[1] == doctest::Approx(1.0 / 65535.0));
}

TEST_CASE("values outside [lo, hi] are clamped when written") {
  test::TempDir dir;
  Image img(1, 4);
  img.px = {-1.0f, 0.5f, 2.0f, 0.25f};
  write_png(dir.file("a.png"), img, 8, 0.0f, 1.0f);
  const RawImage raw = read_raw_image(dir.file("a.png"));
  CHECK(raw.gray == std::vector<float>{0, 128, 255, 64});
}

TEST_CASE("PNG files from an independent encoder decode to their values") {
  SUBCASE("16-bit gray, big-endian samples") {
    const RawImage raw = read_raw_image(test::fixture("data/gray16_5x7.png"));
    CHECK(raw.bit_depth == 16);
    CHECK(raw.channels == 1);
    CHECK(raw.gray == read_npy(test::fixture("data/gray16_5x7.npy")).to_vector<float>());
  }
  SUBCASE("8-bit RGB becomes BT.601 luma") {
    const RawImage raw = read_raw_image(test::fixture("data/rgb8_3x4.png"));
    CHECK(raw.channels == 3);
    CHECK(raw.gray == read_npy(test::fixture("data/rgb8_3x4_gray.npy")).to_vector<float>());
  }
  SUBCASE("4-bit palette") {
    const RawImage raw = read_raw_image(test::fixture("data/palette4_2x6.png"));
    CHECK(raw.gray == read_npy(test::fixture("data/palette4_2x6_gray.npy")).to_vector<float>());
  }
  SUBCASE("gray + alpha: alpha ignored") {
    const RawImage raw = read_raw_image(test::fixture("data/gray_alpha8_1x3.png"));
    CHECK(raw.channels == 2);
    CHECK(raw.gray == std::vector<float>{0, 100, 255});
  }
}

TEST_CASE("RGB PNG written for figures reads back as luma") {
  test::TempDir dir;
  RgbImage img(2, 2, 0, 0, 0);
  img.at(0, 1)[0] = 255;  // red
  img.at(1, 0)[1] = 255;  // green
  img.at(1, 1)[0] = img.at(1, 1)[1] = img.at(1, 1)[2] = 200;
  write_png(dir.file("rgb.png"), img);
  const RawImage raw = read_raw_image(dir.file("rgb.png"));
  CHECK(raw.channels == 3);
  CHECK(raw.gray == std::vector<float>{0, 76, 150, 200});
}

TEST_CASE("JPEG images are read; JPEG masks are refused") {
  test::TempDir dir;
  std::vector<uint8_t> g(16 * 16);
  for (size_t i = 0; i < g.size(); ++i) g[i] = uint8_t(i % 16 < 8 ? 40 : 200);
  put_bytes(dir.file("a.jpg"), jpeg_of(g, 16, 16));
  const RawImage raw = read_raw_image(dir.file("a.jpg"));
  CHECK(raw.format == ImageFormat::JPEG);
  CHECK(raw.width == 16);
  double err = 0;
  for (size_t i = 0; i < g.size(); ++i) err = std::max(err, double(std::fabs(raw.gray[i] - g[i])));
  CHECK(err < 12.0);  // quality 100: close, not exact
  const std::string e = error_of([&] { read_mask(dir.file("a.jpg")); });
  CHECK(contains(e, dir.file("a.jpg")));
  CHECK(contains(e, "masks must be PNG"));
}

TEST_CASE("masks: 0/1, 0/255 and 0/65535 are binary; anything else is an error naming the file") {
  test::TempDir dir;
  Image m(2, 3);
  m.px = {0, 1, 1, 0, 0, 1};
  write_png(dir.file("m01.png"), m, 8, 0.0f, 255.0f);  // stored values 0 and 1
  CHECK(read_raw_image(dir.file("m01.png")).gray[1] == 1.0f);
  CHECK(read_mask(dir.file("m01.png")).px == m.px);
  write_mask_png(dir.file("m255.png"), m);
  CHECK(read_raw_image(dir.file("m255.png")).gray[1] == 255.0f);
  CHECK(read_mask(dir.file("m255.png")).px == m.px);
  write_png(dir.file("m16.png"), m, 16);
  CHECK(read_mask(dir.file("m16.png")).px == m.px);
  write_png(dir.file("empty.png"), Image(2, 2), 8);
  CHECK(read_mask(dir.file("empty.png")).px == std::vector<float>(4, 0.0f));

  Image bad(1, 4);
  bad.px = {0.0f, 128.0f / 255.0f, 1.0f, 0.0f};
  write_png(dir.file("bad.png"), bad, 8);
  const std::string e = error_of([&] { read_mask(dir.file("bad.png")); });
  CHECK(contains(e, dir.file("bad.png") + ": mask is not binary"));
  CHECK(contains(e, "3 distinct values: 0, 128, 255"));
  // 1 and 255 together are not a binary mask either.
  bad.px = {0.0f, 1.0f / 255.0f, 1.0f, 0.0f};
  write_png(dir.file("mixed.png"), bad, 8);
  CHECK(contains(error_of([&] { read_mask(dir.file("mixed.png")); }), "0, 1, 255"));
}

TEST_CASE("each kind of bad file is a one-line error naming the file") {
  test::TempDir dir;
  Image img = ramp(16, 16);
  write_png(dir.file("good.png"), img, 8);
  const std::vector<char> good = file_bytes(dir.file("good.png"));
  auto err = [&](const std::string& name, const std::vector<char>& bytes) {
    put_bytes(dir.file(name), bytes);
    const std::string e = error_of([&] { read_image(dir.file(name)); });
    CHECK(e.find('\n') == std::string::npos);
    CHECK(contains(e, dir.file(name)));
    return e;
  };
  SUBCASE("missing") {
    CHECK(contains(error_of([&] { read_image(dir.file("nope.png")); }), "cannot open"));
  }
  SUBCASE("empty") { CHECK(contains(err("empty.png", {}), "unsupported image format (an empty file)")); }
  SUBCASE("other formats") {
    CHECK(contains(err("a.bmp", {'B', 'M', 0, 0, 0, 0}), "unsupported image format (BMP)"));
    CHECK(contains(err("a.gif", {'G', 'I', 'F', '8', '9', 'a'}), "(GIF)"));
    CHECK(contains(err("a.txt", {'h', 'e', 'l', 'l', 'o'}), "(an unknown format); fbd reads PNG and JPEG"));
  }
  SUBCASE("truncated PNG, cut at many places") {
    for (size_t cut : {size_t(9), size_t(20), size_t(40), good.size() / 2, good.size() - 13, good.size() - 1}) {
      std::vector<char> b(good.begin(), good.begin() + std::ptrdiff_t(cut));
      CHECK(contains(err("cut.png", b), "truncated PNG"));
    }
  }
  SUBCASE("corrupt PNG: a flipped bit in the image data") {
    std::vector<char> b = good;
    b[b.size() - 20] = char(b[b.size() - 20] ^ 0x10);
    CHECK(contains(err("flip.png", b), "corrupt PNG (CRC mismatch in chunk IDAT"));
  }
  SUBCASE("corrupt PNG: IHDR not first") {
    std::vector<char> b = good;
    b[12] = 'X';  // the first chunk's type becomes XHDR (CRC then fails too; the type is reported first)
    const std::string e = err("hdr.png", b);
    CHECK((contains(e, "corrupt PNG") || contains(e, "truncated PNG")));
  }
  SUBCASE("corrupt PNG: valid chunks around data that does not inflate") {
    // Rebuild a PNG whose IDAT holds garbage with a correct CRC: only the decoder can tell.
    std::vector<char> b(good.begin(), good.begin() + 33);  // signature + IHDR
    const char garbage[] = {'I', 'D', 'A', 'T', 1, 2, 3, 4, 5, 6, 7, 8};
    const uint32_t len = 8;
    for (int s = 24; s >= 0; s -= 8) b.push_back(char((len >> s) & 0xFF));
    b.insert(b.end(), garbage, garbage + 12);
    const uint32_t crc = crc32(reinterpret_cast<const uint8_t*>(garbage), 12);
    for (int s = 24; s >= 0; s -= 8) b.push_back(char((crc >> s) & 0xFF));
    const char iend[] = {0, 0, 0, 0, 'I', 'E', 'N', 'D'};
    b.insert(b.end(), iend, iend + 8);
    const uint32_t crc_end = crc32(reinterpret_cast<const uint8_t*>(iend + 4), 4);
    for (int s = 24; s >= 0; s -= 8) b.push_back(char((crc_end >> s) & 0xFF));
    CHECK(contains(err("garbage.png", b), "corrupt PNG ("));
  }
  SUBCASE("truncated and corrupt JPEG") {
    std::vector<uint8_t> g(32 * 32, 90);
    const std::vector<char> jpg = jpeg_of(g, 32, 32);
    CHECK(contains(err("cut.jpg", std::vector<char>(jpg.begin(), jpg.end() - 40)), "truncated JPEG"));
    CHECK(contains(err("head.jpg", std::vector<char>(jpg.begin(), jpg.begin() + 30)), "truncated JPEG"));
    std::vector<char> bad = jpg;
    for (size_t i = 4; i < 60; ++i) bad[i] = char(0x11);  // the headers become nonsense
    CHECK(contains(err("bad.jpg", bad), "corrupt or unsupported JPEG"));
  }
}

TEST_CASE("the PNG structure check: CRC-32 known answer") {
  const char* s = "123456789";
  CHECK(crc32(reinterpret_cast<const uint8_t*>(s), 9) == 0xCBF43926u);
}

TEST_CASE("an image declaring more pixels than the limit is refused from its header; FBD_MAX_PIXELS moves it") {
  test::TempDir dir;
  // A structurally valid PNG declaring 20000 x 20000 gray pixels over 8 bytes of data: decoding
  // it would first take 400 MB for the pixels.
  auto chunk = [](std::vector<char>& b, const char* type, const std::vector<uint8_t>& data) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(char((data.size() >> s) & 0xFF));
    std::vector<uint8_t> body(type, type + 4);
    body.insert(body.end(), data.begin(), data.end());
    b.insert(b.end(), body.begin(), body.end());
    const uint32_t crc = crc32(body.data(), body.size());
    for (int s = 24; s >= 0; s -= 8) b.push_back(char((crc >> s) & 0xFF));
  };
  std::vector<char> png = {char(0x89), 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  const uint32_t side = 20000;
  std::vector<uint8_t> ihdr;
  for (int k = 0; k < 2; ++k)
    for (int s = 24; s >= 0; s -= 8) ihdr.push_back(uint8_t((side >> s) & 0xFF));
  ihdr.insert(ihdr.end(), {8, 0, 0, 0, 0});  // 8-bit gray, no interlace
  chunk(png, "IHDR", ihdr);
  chunk(png, "IDAT", {1, 2, 3, 4, 5, 6, 7, 8});
  chunk(png, "IEND", {});
  put_bytes(dir.file("huge.png"), png);
  unsetenv("FBD_MAX_PIXELS");
  CHECK(max_image_pixels() == kDefaultMaxImagePixels);
  const std::string e = error_of([&] { read_image(dir.file("huge.png")); });
  CHECK(contains(e, dir.file("huge.png") + ": 20000 x 20000 = 400000000 pixels, more than the limit of 67108864"));
  CHECK(contains(e, "FBD_MAX_PIXELS"));
  // Raised, the same file goes on to the decoder, which finds its data corrupt.
  setenv("FBD_MAX_PIXELS", "400000000", 1);
  CHECK(max_image_pixels() == 400000000);
  CHECK(contains(error_of([&] { read_image(dir.file("huge.png")); }), "corrupt PNG ("));
  // Lowered, an ordinary image is refused too; a bad value is a one-line error.
  write_png(dir.file("small.png"), ramp(16, 16), 8);
  setenv("FBD_MAX_PIXELS", "255", 1);
  CHECK(contains(error_of([&] { read_image(dir.file("small.png")); }), "16 x 16 = 256 pixels, more than the limit of 255"));
  setenv("FBD_MAX_PIXELS", "256", 1);
  CHECK(read_image(dir.file("small.png")).width == 16);
  for (const char* bad : {"lots", "-5", "0", "12x"}) {
    setenv("FBD_MAX_PIXELS", bad, 1);
    CHECK(contains(error_of([&] { read_image(dir.file("small.png")); }),
                   std::string("FBD_MAX_PIXELS must be a positive whole number, got '") + bad + "'"));
  }
  unsetenv("FBD_MAX_PIXELS");
}
