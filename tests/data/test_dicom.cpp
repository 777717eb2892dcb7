// DICOM series (data/dicom.h): fbd's GDCM-based reader against what pydicom reads from the same
// files (tests/reference/make_dicom_fixtures.py stored it in tests/fixtures/dicom/), on files
// made by others (pydicom's and nibabel's test data, where installed) and on small series made
// with pydicom (an oblique stack in shuffled file order, two series in one folder, an Enhanced
// MR multi-frame file), and every refusal as a one-line error naming the file or folder.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/error.h"
#include "core/file_io.h"
#include "core/npy.h"
#include "data/dicom.h"
#include "data/nifti.h"
#include "data/volume.h"
#include "data/volume_io.h"
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

// The folders of python3-pydicom's and python3-nibabel's test data (FBD_PYDICOM_DATA and
// FBD_NIBABEL_DATA override the Debian locations).
std::string external_dir(const std::string& key) {
  const char* pd = std::getenv("FBD_PYDICOM_DATA");
  const char* nb = std::getenv("FBD_NIBABEL_DATA");
  const std::string pydicom = pd ? pd : "/usr/lib/python3/dist-packages/pydicom/data/test_files";
  const std::string nibabel = nb ? nb : "/usr/lib/python3/dist-packages/nibabel/tests/data";
  if (key == "pydicom") return pydicom;
  if (key == "nibabel") return nibabel;
  return fs::path(nibabel).parent_path().parent_path().string() + "/nicom/tests/data";  // "nicom"
}

nlohmann::json expected_json() {
  const std::vector<char> bytes = read_file(fixture("dicom/expected.json"));
  return nlohmann::json::parse(bytes.begin(), bytes.end());
}

const nlohmann::json& made_here(const nlohmann::json& all, const std::string& name) {
  for (const auto& e : all["made_here"])
    if (e["name"] == name) return e;
  FAIL("no entry " << name << " in expected.json");
  static nlohmann::json none;
  return none;
}

// Everything written to stderr (fd 2) while f runs.
template <typename F>
std::string stderr_of(F&& f) {
  std::fflush(stderr);
  char name[] = "/tmp/fbd-test-stderr-XXXXXX";
  const int fd = ::mkstemp(name);
  REQUIRE(fd >= 0);
  const int saved = ::dup(2);
  ::dup2(fd, 2);
  f();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  ::close(fd);
  const std::vector<char> bytes = read_file(name);
  std::remove(name);
  return std::string(bytes.begin(), bytes.end());
}

Affine affine_of(const nlohmann::json& a) {
  Affine want;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) want.m[size_t(r)][size_t(c)] = a[r][c].get<double>();
  return want;
}

// Checks v against the summary `e` (shape, spacing, affine, sum, sum of squares, samples).
void check_summary(const Volume& v, const nlohmann::json& e) {
  const auto shape = e["shape"].get<std::vector<int64_t>>();
  CHECK(v.nx == shape[0]);
  CHECK(v.ny == shape[1]);
  CHECK(v.nz == shape[2]);
  CHECK(v.channels == 1);
  REQUIRE(v.voxels.size() == size_t(shape[0] * shape[1] * shape[2]));
  const auto spacing = e["spacing"].get<std::vector<double>>();
  CHECK(v.dx == doctest::Approx(spacing[0]).epsilon(1e-9));
  CHECK(v.dy == doctest::Approx(spacing[1]).epsilon(1e-9));
  CHECK(v.dz == doctest::Approx(spacing[2]).epsilon(1e-9));
  const Affine want = affine_of(e["affine"]);
  CHECK_MESSAGE(v.affine.max_abs_diff(want) < 1e-6,
                "affine differs from the reference by " << v.affine.max_abs_diff(want));
  CHECK(v.space.qform_code == 1);
  CHECK(v.space.sform_code == 1);
  CHECK(v.space.sform.max_abs_diff(v.affine) == 0);
  double sum = 0, sum_sq = 0;
  for (float x : v.voxels) {
    sum += x;
    sum_sq += double(x) * x;
  }
  const double want_sum = e["sum"], want_sq = e["sum_sq"];
  CHECK(sum == doctest::Approx(want_sum).epsilon(1e-9).scale(std::sqrt(want_sq) + 1));
  CHECK(sum_sq == doctest::Approx(want_sq).epsilon(1e-9));
  for (const auto& s : e["samples"])
    CHECK_MESSAGE(v.at(s[0].get<int64_t>(), s[1].get<int64_t>(), s[2].get<int64_t>()) == s[3].get<float>(),
                  "voxel " << s.dump());
}

// Checks v against the whole volume NAME.npy, (nz, ny, nx) float32.
void check_voxels(const Volume& v, const std::string& name) {
  const Tensor t = read_npy(fixture("dicom/" + name + ".npy"));
  REQUIRE(t.shape() == Shape{v.nz, v.ny, v.nx});
  const std::vector<float> want = t.to_vector();
  REQUIRE(want.size() == v.voxels.size());
  size_t bad = 0;
  for (size_t i = 0; i < want.size(); ++i) bad += want[i] != v.voxels[i];
  CHECK_MESSAGE(bad == 0, bad << " voxels differ from " << name << ".npy");
}

// The error of `f`: one line, naming `what`, containing each of `parts`.
template <typename F>
std::string check_error(F&& f, const std::string& what, std::initializer_list<std::string> parts) {
  const std::string e = error_of(f);
  INFO(e);
  CHECK_MESSAGE(!e.empty(), "no error for " << what);
  CHECK_MESSAGE(e.find('\n') == std::string::npos, "not one line: " << e);
  CHECK_MESSAGE(contains(e, what), "does not name " << what << ": " << e);
  for (const std::string& p : parts) CHECK_MESSAGE(contains(e, p), "no \"" << p << "\" in: " << e);
  return e;
}

void copy_prefix(const std::string& from, const std::string& to, size_t bytes) {
  std::vector<char> b = read_file(from);
  REQUIRE(b.size() > bytes);
  std::ofstream(to, std::ios::binary).write(b.data(), std::streamsize(bytes));
}

}  // namespace

TEST_CASE("dicom: is_dicom_file looks for DICM at byte 128") {
  CHECK(is_dicom_file(fixture("dicom/series_a/IM0000")));
  CHECK(is_dicom_file(fixture("dicom/multiframe.dcm")));
  CHECK_FALSE(is_dicom_file(fixture("dicom/series_a/notes.txt")));
  CHECK_FALSE(is_dicom_file(fixture("dicom/expected.json")));
  CHECK_FALSE(is_dicom_file(fixture("dicom/no-such-file")));
  TempDir dir;
  copy_prefix(fixture("dicom/series_a/IM0000"), dir.file("short"), 131);
  CHECK_FALSE(is_dicom_file(dir.file("short")));
  CHECK_FALSE(is_dicom_file(dir.path().string()));
}

TEST_CASE("dicom: an oblique series in shuffled file order reads as pydicom and the script place it") {
  const nlohmann::json all = expected_json();
  const nlohmann::json& e = made_here(all, "series_a");
  const std::string folder = fixture("dicom/series_a");
  const Volume v = read_dicom_series(folder);
  check_summary(v, e);
  check_voxels(v, "series_a");
  // The through-plane spacing is the step between positions (2.5 mm), not SliceThickness (3.1).
  CHECK(v.dz == doctest::Approx(2.5));
  CHECK(v.source == folder);

  const std::vector<DicomSeriesInfo> series = list_dicom_series(folder);
  REQUIRE(series.size() == 1);  // notes.txt is ignored
  CHECK(series[0].uid == e["uid"].get<std::string>());
  CHECK(series[0].description == "t1 oblique");
  CHECK(series[0].modality == "MR");
  CHECK(series[0].files == 5);

  // Choosing the one series by its uid gives the same volume.
  const Volume chosen = read_dicom_series(folder, e["uid"].get<std::string>());
  CHECK(chosen.voxels == v.voxels);
  CHECK(chosen.affine.max_abs_diff(v.affine) == 0);

  // One file of it alone: a single slice, its dz from SliceThickness (no step to measure).
  const Volume one = read_dicom_series(folder + "/IM0000");
  CHECK(one.nx == 8);
  CHECK(one.ny == 6);
  CHECK(one.nz == 1);
  CHECK(one.dz == doctest::Approx(3.1));
}

TEST_CASE("dicom: several series in one folder are listed, and one is chosen by its uid") {
  const nlohmann::json all = expected_json();
  const std::string folder = fixture("dicom/series_mixed");
  const std::vector<DicomSeriesInfo> series = list_dicom_series(folder);
  REQUIRE(series.size() == 2);  // the sub-folder's series is not searched
  CHECK(series[0].uid == "1.2.826.0.1.3680043.8.498.21");
  CHECK(series[0].description == "dce phase 1");
  CHECK(series[0].files == 3);
  CHECK(series[1].uid == "1.2.826.0.1.3680043.8.498.22");
  CHECK(series[1].files == 2);

  check_error([&] { read_dicom_series(folder); }, folder,
              {"2 DICOM series", "1.2.826.0.1.3680043.8.498.21 \"dce phase 1\" (3 files)",
               "1.2.826.0.1.3680043.8.498.22 \"dce phase 2\" (2 files)", "--series UID"});
  check_error(
      [&] { read_dicom_series(folder, "1.2.3.4"); }, folder,
      {"no series with SeriesInstanceUID 1.2.3.4", "1.2.826.0.1.3680043.8.498.21", "1.2.826.0.1.3680043.8.498.22"});

  const Volume b = read_dicom_series(folder, "1.2.826.0.1.3680043.8.498.22");
  check_summary(b, made_here(all, "series_mixed_b"));
  check_voxels(b, "series_mixed_b");
}

TEST_CASE("dicom: an Enhanced MR multi-frame file takes its positions and rescale from the functional groups") {
  const nlohmann::json all = expected_json();
  const Volume v = read_dicom_series(fixture("dicom/multiframe.dcm"));
  check_summary(v, made_here(all, "multiframe"));
  check_voxels(v, "multiframe");
  check_error([&] { read_dicom_series(fixture("dicom/multiframe_nopos.dcm")); }, fixture("dicom/multiframe_nopos.dcm"),
              {"multi-frame", "3 frames", "without per-frame positions"});
}

TEST_CASE("dicom: a 4-D series (DCE phases at every position) reads as channels, ordered in time") {
  const nlohmann::json all = expected_json();
  const nlohmann::json& e = all["dce"]["dce_series"];
  const Volume v = read_dicom_series(fixture("dicom/dce_series"));
  CHECK(v.nx == 7);
  CHECK(v.ny == 5);
  CHECK(v.nz == 3);
  CHECK(v.channels == 3);
  CHECK(v.dz == doctest::Approx(2.0).epsilon(1e-6));
  CHECK(v.affine.max_abs_diff(affine_of(e["affine"])) < 1e-6);
  // dce_series.npy is (phase, slice, row, column): Volume's channel layout exactly.
  const Tensor want = read_npy(fixture("dicom/dce_series.npy"));
  REQUIRE(want.shape() == Shape{3, 3, 5, 7});
  CHECK(want.to_vector() == v.voxels);
  CHECK(read_volume_header(fixture("dicom/dce_series")).channels == 3);

  // Without TemporalPositionIdentifier the AcquisitionTime orders the phases, not the
  // InstanceNumbers (which run against time in this series).
  const Volume t = read_dicom_series(fixture("dicom/dce_acqtime"));
  CHECK(t.channels == 2);
  CHECK(t.nz == 2);
  CHECK(read_npy(fixture("dicom/dce_acqtime.npy")).to_vector() == t.voxels);

  // A position missing a phase: one line naming the folder and the frames.
  check_error([&] { read_dicom_series(fixture("dicom/dce_missing")); }, fixture("dicom/dce_missing"),
              {"2 frames at the same position", "but 1 at", "one frame per phase at every position"});
}

TEST_CASE("dicom: bad series and files are one-line errors naming them") {
  const std::string d = fixture("dicom");
  check_error([&] { read_dicom_series(d + "/no_spacing"); }, d + "/no_spacing/IM000", {"no PixelSpacing"});
  check_error([&] { read_dicom_series(d + "/gaps"); }, d + "/gaps",
              {"not evenly spaced", "gaps 2, 2, 3 mm", "4 slices"});
  check_error([&] { read_dicom_series(d + "/duplicate"); }, d + "/duplicate", {"same position"});
  check_error([&] { read_dicom_series(d + "/series_a/notes.txt"); }, d + "/series_a/notes.txt", {"not a DICOM file"});
  check_error([&] { read_dicom_series(d + "/no-such-folder"); }, d + "/no-such-folder", {"no such file or folder"});
  check_error([&] { read_dicom_series(d + "/rgb.dcm"); }, d + "/rgb.dcm", {"colour", "RGB"});
  check_error([&] { read_dicom_series(d + "/mpeg2.dcm"); }, d + "/mpeg2.dcm",
              {"transfer syntax", "1.2.840.10008.1.2.4.100", "cannot be decoded"});
  check_error([&] { read_dicom_series(d + "/series_a/IM0000", "1.2.3"); }, d + "/series_a/IM0000",
              {"SeriesInstanceUID"});

  TempDir dir;
  check_error([&] { read_dicom_series(dir.path().string()); }, dir.path().string(), {"no DICOM files"});
  check_error([&] { list_dicom_series(dir.file("missing")); }, dir.file("missing"), {"not a folder"});
  CHECK(list_dicom_series(dir.path().string()).empty());

  // Truncated in the pixel data, and in the header.
  const std::string slice = d + "/series_a/IM0000";
  const size_t size = read_file(slice).size();
  copy_prefix(slice, dir.file("cut_pixels.dcm"), size - 20);
  copy_prefix(slice, dir.file("cut_header.dcm"), 300);
  check_error([&] { read_dicom_series(dir.file("cut_pixels.dcm")); }, dir.file("cut_pixels.dcm"),
              {"truncated or corrupt"});
  check_error([&] { read_dicom_series(dir.file("cut_header.dcm")); }, dir.file("cut_header.dcm"), {});

  // A truncated file among the others of a series.
  TempDir series;
  for (const auto& entry : fs::directory_iterator(d + "/series_a"))
    fs::copy(entry.path(), series.path() / entry.path().filename());
  copy_prefix(slice, series.file("IM0000"), size / 2 + 150);
  check_error([&] { read_dicom_series(series.path().string()); }, series.file("IM0000"), {});

  // GDCM prints nothing for any of these.
  const std::string printed = stderr_of([&] {
    error_of([&] { read_dicom_series(dir.file("cut_pixels.dcm")); });
    error_of([&] { read_dicom_series(dir.file("cut_header.dcm")); });
    error_of([&] { read_dicom_series(d + "/mpeg2.dcm"); });
    error_of([&] { read_dicom_series(d + "/rgb.dcm"); });
    error_of([&] { read_dicom_series(d + "/multiframe_nopos.dcm"); });
    // libjpeg's complaints while GDCM tries its 16- and 8-bit decoders on this 12-bit stream
    if (fs::exists(d + "/jpeg_lossy_placed.dcm")) read_dicom_series(d + "/jpeg_lossy_placed.dcm");
  });
  CHECK_MESSAGE(printed.empty(), "printed to stderr: " << printed);
}

TEST_CASE("dicom: a file cut at any byte is a one-line error, never a crash nor zeros") {
  // Debian's GDCM aborts on many truncated files and zero-fills cut pixel data: fbd checks the
  // file's structure first. Every 5th cut point of an uncompressed slice, a multi-frame file
  // and (where installed) pydicom's big-endian, implicit VR, RLE and deflated files (a deflated
  // data set is inflated by fbd and walked: GDCM asserts where the inflated stream ends early,
  // found by fuzzing).
  std::vector<std::string> files = {fixture("dicom/series_a/IM0003"), fixture("dicom/multiframe.dcm")};
  for (const char* name : {"MR_small_bigendian.dcm", "MR_small_implicit.dcm", "MR_small_RLE.dcm", "image_dfl.dcm"}) {
    const std::string p = external_dir("pydicom") + "/" + name;
    if (fs::exists(p)) files.push_back(p);
  }
  TempDir dir;
  int cuts = 0;
  for (const std::string& file : files) {
    const std::vector<char> bytes = read_file(file);
    // image_dfl.dcm is refused whole (it has no position), and 8 bytes follow its deflate
    // stream: a cut among them leaves the data whole, and the file's own error stands.
    const std::string whole = error_of([&] { read_dicom_series(file); });
    const std::string own = whole.empty() ? std::string() : whole.substr(whole.find(".dcm: ") + 6);
    for (size_t n = 0; n < bytes.size(); n += 5) {
      const std::string cut = dir.file("cut_" + std::to_string(n) + ".dcm");
      std::ofstream(cut, std::ios::binary).write(bytes.data(), std::streamsize(n));
      const std::string e = error_of([&] { read_dicom_series(cut); });
      INFO(file << " cut to " << n << " bytes: " << e);
      CHECK(contains(e, cut));
      CHECK((contains(e, "truncated or corrupt") || contains(e, "not a DICOM file") || contains(e, "no pixel data") ||
             (!own.empty() && n + 8 >= bytes.size() && contains(e, own))));
      CHECK(e.find('\n') == std::string::npos);
      fs::remove(cut);
      ++cuts;
    }
  }
  MESSAGE(cuts, " truncated files refused");
}

TEST_CASE("dicom: an unknown value representation is refused before GDCM reads a length from it") {
  // Found by fuzzing: one bit flipped in a VR ("UI" -> "UK") made GDCM read the VR and its
  // 2-byte length as a 4-byte length and allocate 1.6 GB for a 2.7 KB file.
  std::vector<char> bytes = read_file(fixture("dicom/series_a/IM0003"));
  const std::string text(bytes.begin(), bytes.end());
  const size_t ui = text.find("UI", 132 + 12);  // a UI element after the file meta group's first
  REQUIRE(ui != std::string::npos);
  bytes[ui + 1] = 'K';
  TempDir dir;
  const std::string bad = dir.file("bad_vr.dcm");
  std::ofstream(bad, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
  const std::string e = error_of([&] { read_dicom_series(bad); });
  CHECK(contains(e, bad));
  CHECK(contains(e, "no valid value representation at byte " + std::to_string(ui)));
}

TEST_CASE("dicom: a radiotherapy object is refused, not handed to GDCM's image code") {
  // pydicom's RT dose grid made Debian's GDCM abort the process (found by fuzzing).
  const std::string p = external_dir("pydicom") + "/rtdose_1frame.dcm";
  if (!fs::exists(p)) {
    MESSAGE("SKIPPED: ", p, " not found (python3-pydicom's test data)");
    return;
  }
  CHECK(contains(error_of([&] { read_dicom_series(p); }), "modality RTDOSE (a radiotherapy object)"));
}

TEST_CASE("dicom: the voxel limit (FBD_MAX_VOXELS) is checked before the pixel data is read") {
  const std::string folder = fixture("dicom/series_a");  // 8 x 6 x 5 = 240 voxels
  {
    EnvVar limit("FBD_MAX_VOXELS", "239");
    check_error([&] { read_dicom_series(folder); }, folder, {"240 voxels", "limit of 239", "FBD_MAX_VOXELS"});
  }
  {
    EnvVar limit("FBD_MAX_VOXELS", "240");
    CHECK(read_dicom_series(folder).voxels.size() == 240);
  }
}

TEST_CASE("dicom: python3-pydicom's and python3-nibabel's files read as pydicom reads them") {
  const nlohmann::json all = expected_json();
  int checked = 0;
  for (const auto& e : all["external"]) {
    const std::string key = e["folder"].get<std::string>();
    const std::string path = external_dir(key) + "/" + e["file"].get<std::string>();
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec || size != e["bytes"].get<uintmax_t>()) {
      MESSAGE("SKIPPED: ", path,
              ec ? " is missing (install python3-" + (key == "pydicom" ? key : std::string("nibabel")) + ")"
                 : std::string(" differs from the file the fixtures were made from"));
      continue;
    }
    INFO(path << " (" << e["transfer_syntax"].get<std::string>() << ")");
    check_summary(read_dicom_series(path), e);
    ++checked;
  }
  MESSAGE(checked, " of ", all["external"].size(), " files made by others checked against pydicom");

  const std::string truncated = external_dir("pydicom") + "/MR_truncated.dcm";
  if (fs::exists(truncated))
    check_error([&] { read_dicom_series(truncated); }, truncated, {"truncated or corrupt"});
  else
    MESSAGE("SKIPPED: ", truncated, " is missing (install python3-pydicom)");
  const std::string rgb = external_dir("pydicom") + "/SC_rgb_rle.dcm";
  if (fs::exists(rgb)) check_error([&] { read_dicom_series(rgb); }, rgb, {"colour"});
}

TEST_CASE("dicom: 12-bit lossy JPEG (Extended, process 2 and 4) decodes to pydicom's reference values") {
  const nlohmann::json all = expected_json();
  if (!all.contains("jpeg_lossy")) {
    MESSAGE("SKIPPED: the fixtures were made without pydicom's JPEG-lossy.dcm");
    return;
  }
  const nlohmann::json& e = all["jpeg_lossy"];
  const Volume v = read_dicom_series(fixture("dicom/" + e["file"].get<std::string>()));
  CHECK(v.nx == e["shape"][0].get<int64_t>());
  CHECK(v.ny == e["shape"][1].get<int64_t>());
  CHECK(v.nz == 1);
  CHECK(v.dx == doctest::Approx(e["spacing_xy"][0].get<double>()));
  CHECK(v.dy == doctest::Approx(e["spacing_xy"][1].get<double>()));
  CHECK(v.affine.max_abs_diff(affine_of(e["affine"])) < 1e-9);
  for (const auto& s : e["samples"])
    CHECK_MESSAGE(v.at(s[0].get<int64_t>(), s[1].get<int64_t>(), s[2].get<int64_t>()) == s[3].get<float>(),
                  "voxel " << s.dump());
}
