// NIfTI volumes (data/nifti.h, data/volume.h): fbd's reader against what nibabel reads from
// the same files (tests/reference/make_nifti_fixtures.py stored it), fbd's writer by round
// trip (its output read back by nibabel is checked by tests/cli/nifti.cmake), and every
// refusal of a bad file as a one-line error naming it.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>
#include <optional>

#include "core/error.h"
#include "core/file_io.h"
#include "core/npy.h"
#include "data/nifti.h"
#include "data/volume.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;
using namespace fbd::data;
using fbd::test::contains;
using fbd::test::error_of;
using fbd::test::fixture;
using fbd::test::TempDir;
namespace fs = std::filesystem;

using fbd::test::EnvVar;

namespace {

// python3-nibabel's test data (FBD_NIBABEL_DATA overrides the Debian location).
std::string nibabel_data_dir() {
  const char* env = std::getenv("FBD_NIBABEL_DATA");
  return env ? env : "/usr/lib/python3/dist-packages/nibabel/tests/data";
}

nlohmann::json expected_json() {
  const std::vector<char> bytes = read_file(fixture("nifti/nibabel_expected.json"));
  return nlohmann::json::parse(bytes.begin(), bytes.end());
}

// Checks fbd's reading of `path` against nibabel's summary `e` of the same file.
void check_against_nibabel(const nlohmann::json& e, const std::string& path) {
  INFO(path);
  if (e.contains("non_finite")) {
    // nibabel reads NaN here; fbd refuses the file, naming the count and the first bad voxel.
    const auto f = e["first_non_finite"].get<std::vector<int64_t>>();
    std::string where = "(" + std::to_string(f[0]) + ", " + std::to_string(f[1]) + ", " + std::to_string(f[2]);
    if (e["shape"][3].get<int64_t>() > 1) where += ", " + std::to_string(f[3]);
    const std::string err = error_of([&] { read_nifti(path); });
    CHECK_MESSAGE(contains(err, std::to_string(e["non_finite"].get<int64_t>()) +
                                    " NaN or infinite voxel(s), the first at " + where + ")"),
                  err);
    Affine want;
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 4; ++c) want.m[size_t(r)][size_t(c)] = e["affine"][r][c].get<double>();
    CHECK(read_nifti_header(path).affine.max_abs_diff(want) < 1e-5);
    return;
  }
  const Volume v = read_nifti(path);
  const auto shape = e["shape"].get<std::vector<int64_t>>();
  CHECK(v.nx == shape[0]);
  CHECK(v.ny == shape[1]);
  CHECK(v.nz == shape[2]);
  CHECK(v.channels == shape[3]);
  REQUIRE(v.voxels.size() == size_t(shape[0] * shape[1] * shape[2] * shape[3]));
  const auto spacing = e["spacing"].get<std::vector<double>>();
  CHECK(v.dx == doctest::Approx(spacing[0]).epsilon(1e-6));
  CHECK(v.dy == doctest::Approx(spacing[1]).epsilon(1e-6));
  CHECK(v.dz == doctest::Approx(spacing[2]).epsilon(1e-6));
  CHECK(v.space.qform_code == e["qform_code"].get<int>());
  CHECK(v.space.sform_code == e["sform_code"].get<int>());
  Affine want;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) want.m[size_t(r)][size_t(c)] = e["affine"][r][c].get<double>();
  CHECK_MESSAGE(v.affine.max_abs_diff(want) < 1e-5, "affine differs from nibabel's by " << v.affine.max_abs_diff(want));
  CHECK(v.orientation_code() == e["orientation"].get<std::string>());

  double sum = 0, sum_sq = 0;
  for (float x : v.voxels) {
    sum += x;
    sum_sq += double(x) * x;
  }
  const double want_sum = e["sum"], want_sq = e["sum_sq"];
  CHECK(sum == doctest::Approx(want_sum).epsilon(1e-9).scale(std::sqrt(want_sq)));
  CHECK(sum_sq == doctest::Approx(want_sq).epsilon(1e-9));
  for (const auto& s : e["samples"]) {
    const float got = v.at(s[0].get<int64_t>(), s[1].get<int64_t>(), s[2].get<int64_t>(), s[3].get<int64_t>());
    CHECK_MESSAGE(got == s[4].get<float>(), "voxel " << s.dump());
  }

  // The header alone gives the same grid and no voxels.
  const Volume h = read_nifti_header(path);
  CHECK(h.voxels.empty());
  CHECK(h.shape_str() == v.shape_str());
  CHECK(h.affine.max_abs_diff(v.affine) == 0);
}

// --- hand-made NIfTI-1 files, for the refusals ---------------------------------------------

template <typename T>
void put(std::vector<char>& b, size_t at, T value) {
  std::memcpy(b.data() + at, &value, sizeof(T));
}

// A minimal single-file NIfTI-1 header (little-endian, no qform or sform) followed by `data`.
std::vector<char> nifti1_file(std::vector<int16_t> dim, int16_t datatype, int16_t bitpix,
                              const std::vector<char>& data = {}, float vox_offset = 352) {
  std::vector<char> b(352, 0);
  put<int32_t>(b, 0, 348);
  dim.resize(8, 1);
  for (size_t i = 0; i < 8; ++i) put<int16_t>(b, 40 + 2 * i, dim[i]);
  put<int16_t>(b, 70, datatype);
  put<int16_t>(b, 72, bitpix);
  for (size_t i = 0; i < 8; ++i) put<float>(b, 76 + 4 * i, 1.0f);
  put<float>(b, 108, vox_offset);
  std::memcpy(b.data() + 344, "n+1", 4);
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

void write_bytes(const std::string& path, const std::vector<char>& b) {
  std::ofstream(path, std::ios::binary).write(b.data(), std::streamsize(b.size()));
}

std::vector<char> int16_data(int64_t n) { return std::vector<char>(size_t(n) * 2, 1); }

// The error read_nifti throws for `bytes` written to a file named `name`.
std::string read_error(const TempDir& dir, const std::string& name, const std::vector<char>& bytes) {
  const std::string path = dir.file(name);
  write_bytes(path, bytes);
  const std::string e = error_of([&] { read_nifti(path); });
  CHECK_MESSAGE(e.find('\n') == std::string::npos, "not one line: " << e);
  CHECK_MESSAGE(contains(e, path), "does not name the file: " << e);
  return e;
}

// A volume with a rotated, translated grid (its space set from the affine) and values v(i).
Volume test_volume(int64_t nx, int64_t ny, int64_t nz, int64_t channels, float (*value)(int64_t)) {
  Volume v;
  v.nx = nx, v.ny = ny, v.nz = nz, v.channels = channels;
  // 30 degrees about z, spacing 0.8 x 0.9 x 2.5 mm, an LPS-like flip of x.
  const double c = std::cos(std::numbers::pi / 6), s = std::sin(std::numbers::pi / 6);
  v.affine.m = {{{-0.8 * c, -0.9 * s, 0, 12.5}, {-0.8 * s, 0.9 * c, 0, -40.25}, {0, 0, 2.5, 7}, {0, 0, 0, 1}}};
  set_space_from_affine(v);
  v.voxels.resize(size_t(nx * ny * nz * channels));
  for (size_t i = 0; i < v.voxels.size(); ++i) v.voxels[i] = value(int64_t(i));
  return v;
}

float value_u8(int64_t i) { return float((i * 37) % 256); }
float value_i16(int64_t i) { return float((i * 7919) % 20001 - 10000); }
float value_f32(int64_t i) { return std::sin(float(i) * 0.37f) * 1234.5f + 1e-3f * float(i); }

}  // namespace

TEST_CASE("nifti: files made by nibabel (fixtures) read as nibabel reads them") {
  const nlohmann::json all = expected_json();
  REQUIRE(all["made_here"].size() >= 8);
  for (const auto& e : all["made_here"]) check_against_nibabel(e, fixture("nifti/" + e["file"].get<std::string>()));
}

TEST_CASE("nifti: python3-nibabel's test data read as nibabel reads them") {
  const std::string dir = nibabel_data_dir();
  if (!fs::is_directory(dir)) {
    MESSAGE("SKIPPED: ", dir,
            " not found (install python3-nibabel, scripts/install-deps.sh): nibabel's own files not read");
    return;
  }
  int checked = 0;
  const nlohmann::json all = expected_json();  // (a range-for over a temporary's member would dangle)
  for (const auto& e : all["nibabel_data"]) {
    const std::string path = dir + "/" + e["file"].get<std::string>();
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec || size != e["bytes"].get<uintmax_t>()) {
      MESSAGE("SKIPPED: ", path, ec ? " is missing" : " differs from the file the fixtures were made from");
      continue;
    }
    check_against_nibabel(e, path);
    ++checked;
  }
  MESSAGE(checked, " of nibabel's files checked against nibabel");
  CHECK(checked > 0);
}

TEST_CASE("nifti: the 4-D example has its volumes as channels, NIfTI-2 too") {
  const std::string dir = nibabel_data_dir();
  if (!fs::is_directory(dir)) {
    MESSAGE("SKIPPED: ", dir, " not found");
    return;
  }
  const Volume v1 = read_nifti(dir + "/example4d.nii.gz");
  const Volume v2 = read_nifti(dir + "/example_nifti2.nii.gz");
  CHECK(v1.shape_str() == "128x96x24x2");
  CHECK(v2.shape_str() == "32x20x12x2");
  CHECK(v1.spacing_str() == "2.00 x 2.00 x 2.20 mm");
  CHECK(v1.orientation_code() == "LAS");
}

TEST_CASE("nifti: orientation codes follow nibabel's aff2axcodes") {
  Volume v;
  CHECK(v.orientation_code() == "RAS");
  v.affine.m = {{{-1, 0, 0, 0}, {0, -1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}};
  CHECK(v.orientation_code() == "LPS");
  // nibabel's docstring example: [[0,1,0,10],[-1,0,0,20],[0,0,1,30]] is ('P', 'R', 'S').
  v.affine.m = {{{0, 1, 0, 10}, {-1, 0, 0, 20}, {0, 0, 1, 30}, {0, 0, 0, 1}}};
  CHECK(v.orientation_code() == "PRS");
  // A sagittal grid with a slight tilt and anisotropic spacing.
  v.affine.m = {{{0, 0, -3, 0}, {0.99, 0.1, 0, 0}, {-0.1, 0.99, 0, 0}, {0, 0, 0, 1}}};
  CHECK(v.orientation_code() == "ASL");
  // A degenerate axis has no direction.
  v.affine.m = {{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 1}}};
  CHECK(v.orientation_code() == "RA?");
}

TEST_CASE("nifti: shape, spacing and grid helpers") {
  Volume a;
  a.nx = 512, a.ny = 512, a.nz = 160;
  a.dx = 0.7, a.dy = 0.7, a.dz = 2;
  CHECK(a.shape_str() == "512x512x160");
  CHECK(a.spacing_str() == "0.70 x 0.70 x 2.00 mm");
  Volume b = a;
  b.channels = 3;
  CHECK(b.shape_str() == "512x512x160x3");
  CHECK(a.same_grid(b));
  b.affine.m[0][3] = 5e-4;
  CHECK(a.same_grid(b));
  CHECK(a.affine.max_abs_diff(b.affine) == doctest::Approx(5e-4));
  b.affine.m[0][3] = 2e-3;
  CHECK_FALSE(a.same_grid(b));
  b = a;
  b.nz = 159;
  CHECK_FALSE(a.same_grid(b));
}

TEST_CASE("nifti: file names and the voxel limit") {
  CHECK(is_nifti_path("a/b.nii"));
  CHECK(is_nifti_path("B.NII.GZ"));
  CHECK(is_nifti_path("x.hdr"));
  CHECK(is_nifti_path("x.Img"));
  CHECK_FALSE(is_nifti_path("x.png"));
  CHECK_FALSE(is_nifti_path("nii"));
  CHECK_FALSE(is_nifti_path("x.nii.bz2"));
  {
    EnvVar unset("FBD_MAX_VOXELS", "");
    CHECK(max_volume_voxels() == kDefaultMaxVolumeVoxels);
  }
  {
    EnvVar small("FBD_MAX_VOXELS", "1000");
    CHECK(max_volume_voxels() == 1000);
  }
  for (const char* bad : {"abc", "-5", "0", "12x"}) {
    EnvVar env("FBD_MAX_VOXELS", bad);
    CHECK(contains(error_of([] { max_volume_voxels(); }), "is not a positive whole number"));
  }
}

TEST_CASE("nifti: write_nifti round-trips uint8, int16 and float32, .nii and .nii.gz, 1 and 2 channels") {
  TempDir dir;
  struct Kind {
    NiftiDtype dtype;
    const char* name;
    float (*value)(int64_t);
  };
  for (const Kind& k : {Kind{NiftiDtype::UInt8, "u8", value_u8}, Kind{NiftiDtype::Int16, "i16", value_i16},
                        Kind{NiftiDtype::Float32, "f32", value_f32}})
    for (const char* ext : {".nii", ".nii.gz"})
      for (int64_t channels : {1, 2}) {
        const std::string path = dir.file(std::string(k.name) + "_c" + std::to_string(channels) + ext);
        INFO(path);
        const Volume v = test_volume(7, 5, 3, channels, k.value);
        write_nifti(path, v, k.dtype);
        const Volume r = read_nifti(path);
        CHECK(r.shape_str() == v.shape_str());
        CHECK(r.dx == doctest::Approx(0.8).epsilon(1e-6));
        CHECK(r.dz == doctest::Approx(2.5).epsilon(1e-6));
        CHECK(r.affine.max_abs_diff(v.affine) < 1e-5);
        CHECK(r.space.qform_code == 1);
        CHECK(r.space.sform_code == 1);
        CHECK(r.space.xyz_units == 2);
        CHECK(r.orientation_code() == v.orientation_code());
        CHECK(r.voxels == v.voxels);  // all values are exact in every type
        // No temporary file left beside it.
        for (const auto& f : fs::directory_iterator(dir.path()))
          CHECK_MESSAGE(!contains(f.path().filename().string(), ".tmp"), f.path());
      }
}

TEST_CASE("nifti: integer types round to nearest and clamp") {
  TempDir dir;
  Volume v = test_volume(4, 1, 1, 1, value_u8);
  v.voxels = {-5.f, 2.4f, 254.6f, 300.f};
  write_nifti(dir.file("u8.nii"), v, NiftiDtype::UInt8);
  CHECK(read_nifti(dir.file("u8.nii")).voxels == std::vector<float>{0, 2, 255, 255});
  v.voxels = {-40000.f, -3.6f, 7.5f, 40000.f};
  write_nifti(dir.file("i16.nii.gz"), v, NiftiDtype::Int16);
  CHECK(read_nifti(dir.file("i16.nii.gz")).voxels == std::vector<float>{-32768, -4, 8, 32767});
}

TEST_CASE("nifti: a mask carries exactly its image's qform and sform") {
  TempDir dir;
  for (const char* name :
       {"be_int16_scaled_qform.nii", "uint8_4d.nii.gz", "uint16_sform.nii", "nifti2_float64_sheared.nii.gz"}) {
    INFO(name);
    const Volume img = read_nifti(fixture(std::string("nifti/") + name));
    std::vector<uint8_t> mask(size_t(img.voxels_per_channel()));
    for (size_t i = 0; i < mask.size(); ++i) mask[i] = (i % 3 == 0) ? 1 : 0;
    const std::string path = dir.file(std::string("mask_") + name);
    write_nifti_mask(path, mask, img);
    const Volume m = read_nifti(path);
    CHECK(m.channels == 1);
    CHECK(m.same_grid(img, 1e-6));
    const NiftiSpace &a = img.space, &b = m.space;
    // NIfTI-1 sources round-trip bit for bit (float32 fields); fbd writes NIfTI-1, so a
    // NIfTI-2 source's doubles come back rounded to float32.
    const double tol = contains(name, "nifti2") ? 1e-6 : 0.0;
    CHECK(b.qform_code == a.qform_code);
    CHECK(b.sform_code == a.sform_code);
    CHECK(b.qfac == a.qfac);
    CHECK(std::fabs(b.quatern_b - a.quatern_b) <= tol);
    CHECK(std::fabs(b.quatern_c - a.quatern_c) <= tol);
    CHECK(std::fabs(b.quatern_d - a.quatern_d) <= tol);
    CHECK(std::fabs(b.qoffset_x - a.qoffset_x) <= tol);
    CHECK(std::fabs(b.qoffset_y - a.qoffset_y) <= tol * 10);
    CHECK(std::fabs(b.qoffset_z - a.qoffset_z) <= tol * 10);
    if (a.sform_code > 0) CHECK(b.sform.max_abs_diff(a.sform) <= tol * 10);
    CHECK(m.dx == img.dx);
    for (size_t i = 0; i < mask.size(); ++i)
      if (m.voxels[i] != float(mask[i])) FAIL("mask voxel " << i);
  }
}

TEST_CASE("nifti: bad input") {
  TempDir dir;
  const std::vector<int16_t> d3 = {3, 4, 5, 6};
  const std::vector<char> good = nifti1_file(d3, 4, 16, int16_data(120));
  write_bytes(dir.file("good.nii"), good);
  REQUIRE(read_nifti(dir.file("good.nii")).shape_str() == "4x5x6");

  SUBCASE("missing file") {
    const std::string e = error_of([&] { read_nifti(dir.file("none.nii")); });
    CHECK(contains(e, "none.nii: cannot open (No such file or directory)"));
    CHECK(contains(error_of([&] { read_nifti_header(dir.file("none.nii.gz")); }), "cannot open"));
  }
  SUBCASE("not NIfTI") {
    CHECK(contains(read_error(dir, "text.nii", std::vector<char>(400, 'x')), "not a NIfTI file"));
    CHECK(contains(read_error(dir, "empty.nii", {}), "truncated NIfTI header (the file has 0 bytes"));
  }
  SUBCASE("truncated header, truncated data (.nii)") {
    CHECK(contains(read_error(dir, "cut_header.nii", std::vector<char>(good.begin(), good.begin() + 200)),
                   "truncated NIfTI header (the file has 200 bytes"));
    CHECK(contains(read_error(dir, "cut_data.nii", std::vector<char>(good.begin(), good.end() - 11)),
                   "truncated data (229 of the 240 voxel bytes the header declares)"));
  }
  SUBCASE("truncated .nii.gz: an error, not zeros") {
    // Random float32 voxels hardly compress, so cutting the gzip file at 60% cuts the data.
    Volume v = test_volume(16, 16, 16, 1, value_f32);
    v.voxels = fbd::test::random_values(16 * 16 * 16, -1, 1, 3);
    write_nifti(dir.file("full.nii.gz"), v);
    std::vector<char> gz = read_file(dir.file("full.nii.gz"));
    gz.resize(gz.size() * 6 / 10);
    CHECK(contains(read_error(dir, "cut.nii.gz", gz), "truncated or corrupt compressed data (read "));
    CHECK(read_nifti_header(dir.file("cut.nii.gz")).shape_str() == "16x16x16");  // the header is intact
  }
  SUBCASE("dim[0] outside 1..7, non-positive sizes, five axes") {
    CHECK(contains(read_error(dir, "dim8.nii", nifti1_file({8, 4, 5, 6, 1, 1, 1, 1}, 4, 16, int16_data(120))),
                   "dim[0] = 8 is outside 1..7"));
    CHECK(contains(read_error(dir, "dim0.nii", nifti1_file({0, 4, 5, 6}, 4, 16, int16_data(120))),
                   "dim[0] = 0 is outside 1..7"));
    CHECK(contains(read_error(dir, "size0.nii", nifti1_file({3, 4, 0, 6}, 4, 16)),
                   "dim[2] = 0: axis sizes must be positive (dim = [3, 4, 0, 6])"));
    CHECK(contains(read_error(dir, "dim5.nii", nifti1_file({5, 2, 2, 2, 2, 2}, 4, 16, int16_data(32))),
                   "5-D data (dim = [5, 2, 2, 2, 2, 2]): fbd reads at most 4 axes"));
    // A fifth axis of size 1 is no fifth axis.
    write_bytes(dir.file("dim5_1.nii"), nifti1_file({5, 2, 2, 2, 3, 1}, 4, 16, int16_data(24)));
    CHECK(read_nifti(dir.file("dim5_1.nii")).shape_str() == "2x2x2x3");
  }
  SUBCASE("bad vox_offset") {
    CHECK(contains(read_error(dir, "off_big.nii", nifti1_file(d3, 4, 16, int16_data(120), 100000)),
                   "bad vox_offset 100000: at or beyond the end of the file (592 bytes)"));
    CHECK(contains(read_error(dir, "off_small.nii", nifti1_file(d3, 4, 16, int16_data(120), 200)),
                   "bad vox_offset 200 (the data of a single-file NIfTI-1 starts at 352 or later)"));
    CHECK(contains(read_error(dir, "off_frac.nii", nifti1_file(d3, 4, 16, int16_data(120), 352.5f)),
                   "bad vox_offset 352.5"));
  }
  SUBCASE("unsupported datatypes") {
    CHECK(contains(read_error(dir, "complex.nii", nifti1_file(d3, 32, 64, std::vector<char>(120 * 8))),
                   "unsupported datatype COMPLEX64 (code 32): fbd reads int8, uint8"));
    CHECK(contains(read_error(dir, "rgb.nii", nifti1_file(d3, 128, 24, std::vector<char>(120 * 3))),
                   "unsupported datatype RGB24"));
    CHECK(contains(read_error(dir, "int64.nii", nifti1_file(d3, 1024, 64, std::vector<char>(120 * 8))),
                   "unsupported datatype INT64"));
  }
  SUBCASE("NaN and infinite voxels") {
    std::vector<float> f(120, 1.0f);
    f[1] = std::nanf("");
    f[4 * 5 + 3] = INFINITY;
    std::vector<char> data(f.size() * 4);
    std::memcpy(data.data(), f.data(), data.size());
    CHECK(contains(read_error(dir, "nan.nii", nifti1_file(d3, 16, 32, data)),
                   "2 NaN or infinite voxel(s), the first at (1, 0, 0)"));
  }
  SUBCASE("more voxels than FBD_MAX_VOXELS: refused from the header, before reading data") {
    EnvVar limit("FBD_MAX_VOXELS", "100");
    // The header declares 4x5x6 voxels, and the data is not there at all: the limit speaks first.
    const std::string e = read_error(dir, "big.nii", nifti1_file(d3, 4, 16));
    CHECK(contains(e, "dim = [3, 4, 5, 6]: 120 voxels, more than the limit of 100 (FBD_MAX_VOXELS)"));
    CHECK(contains(error_of([&] { read_nifti_header(dir.file("big.nii")); }), "more than the limit of 100"));
  }
}

TEST_CASE("nifti: a failed write throws and leaves nothing behind") {
  TempDir dir;
  const Volume v = test_volume(4, 3, 2, 1, value_f32);
  SUBCASE("into a folder that does not exist") {
    const std::string path = dir.file("no/such/folder/x.nii.gz");
    const std::string e = error_of([&] { write_nifti(path, v); });
    CHECK(contains(e, path + ": cannot create (No such file or directory)"));
    CHECK(fs::is_empty(dir.path()));
    CHECK(contains(error_of([&] { write_nifti_mask(dir.file("none/m.nii"), std::vector<uint8_t>(24), v); }),
                   "cannot create"));
    CHECK(fs::is_empty(dir.path()));
  }
  SUBCASE("a bad volume leaves the old file untouched") {
    const std::string path = dir.file("x.nii");
    write_nifti(path, v);
    const std::vector<char> before = read_file(path);
    Volume bad = v;
    bad.voxels.pop_back();
    CHECK(contains(error_of([&] { write_nifti(path, bad); }), "holds 23 values"));
    bad = v;
    bad.voxels[3] = NAN;
    CHECK(contains(error_of([&] { write_nifti(path, bad); }), "cannot write NaN or infinite voxels"));
    CHECK(contains(error_of([&] { write_nifti_mask(path, std::vector<uint8_t>(5), v); }), "5 values for a 4x3x2 grid"));
    CHECK(contains(error_of([&] { write_nifti(dir.file("x.hdr"), v); }), "fbd writes NIfTI as .nii or .nii.gz"));
    CHECK(read_file(path) == before);
    CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
  }
}

// Run by tests/cli/nifti.cmake with FBD_NIFTI_EXPORT set to a folder: writes files there for
// tests/cli/helpers/nifti_nibabel_check.py, which reads them with nibabel. For each NAME.nii(.gz)
// it writes NAME.npy, the voxels fbd wrote (shape [channels, nz, ny, nx]), and NAME.affine.npy.
TEST_CASE("nifti: export files for nibabel (FBD_NIFTI_EXPORT)") {
  const char* out = std::getenv("FBD_NIFTI_EXPORT");
  if (!out) return;  // only under tests/cli/nifti.cmake
  fs::create_directories(out);
  auto export_one = [&](const std::string& name, const Volume& v, NiftiDtype dtype) {
    const std::string base = std::string(out) + "/" + name;
    write_nifti(base + (name.find("gz") != std::string::npos ? ".nii.gz" : ".nii"), v, dtype);
    write_npy(base + ".npy", Tensor::from_vector(v.voxels, {v.channels, v.nz, v.ny, v.nx}));
    std::vector<float> aff;
    for (const auto& row : v.affine.m)
      for (double x : row) aff.push_back(float(x));
    write_npy(base + ".affine.npy", Tensor::from_vector(aff, {4, 4}));
  };
  export_one("u8_c1", test_volume(7, 5, 3, 1, value_u8), NiftiDtype::UInt8);
  export_one("i16_c2_gz", test_volume(7, 5, 3, 2, value_i16), NiftiDtype::Int16);
  export_one("f32_c1_gz", test_volume(9, 8, 4, 1, value_f32), NiftiDtype::Float32);
  export_one("f32_c2", test_volume(6, 6, 2, 2, value_f32), NiftiDtype::Float32);
  // A mask on a NIfTI-1 fixture's grid: nibabel must see the image's qform and sform on it.
  const Volume img = read_nifti(fixture("nifti/uint16_sform.nii"));
  std::vector<uint8_t> mask(size_t(img.voxels_per_channel()), 1);
  write_nifti_mask(std::string(out) + "/mask_uint16_sform.nii.gz", mask, img);
  MESSAGE("wrote the export files into ", out);
}
