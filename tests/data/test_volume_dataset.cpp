// Volumes as data: slicing along each axis and back, the per-volume normalisation, the
// nnU-Net v2 layout and manifest rows of volumes, the slice cases they give, the checks an
// image and its mask must pass, and the NIfTI phantom (fbd synth --format nifti).
#include <filesystem>
#include <fstream>

#include "data/dataset.h"
#include "data/nifti.h"
#include "data/phantom.h"
#include "data/volume_dataset.h"
#include "data/volume_io.h"
#include "data/volume_slices.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;
using namespace fbd::data;
using fbd::test::contains;
using fbd::test::error_of;
namespace fs = std::filesystem;

namespace {

// nx x ny x nz voxels holding their own offset, spacing (dx, dy, dz), an LPS scanner affine.
Volume numbered(int64_t nx, int64_t ny, int64_t nz, double dx = 0.7, double dy = 0.7, double dz = 2.0) {
  Volume v;
  v.nx = nx, v.ny = ny, v.nz = nz;
  v.dx = dx, v.dy = dy, v.dz = dz;
  v.affine.m[0] = {-dx, 0, 0, 10};
  v.affine.m[1] = {0, -dy, 0, 20};
  v.affine.m[2] = {0, 0, dz, -30};
  set_space_from_affine(v);
  v.voxels.resize(size_t(nx * ny * nz));
  for (size_t i = 0; i < v.voxels.size(); ++i) v.voxels[i] = float(i);
  return v;
}

// A mask on v's grid with a box of tumour in slices [k0, k1) (along k).
Volume box_mask(const Volume& grid, int64_t k0, int64_t k1) {
  Volume m = grid;
  std::fill(m.voxels.begin(), m.voxels.end(), 0.0f);
  for (int64_t k = k0; k < k1; ++k)
    for (int64_t j = 2; j < 5; ++j)
      for (int64_t i = 1; i < 4; ++i) m.voxels[size_t(i + m.nx * (j + m.ny * k))] = 1.0f;
  return m;
}

void write_pair(const fs::path& image, const fs::path& mask, const Volume& img, const Volume& m) {
  fs::create_directories(image.parent_path());
  fs::create_directories(mask.parent_path());
  write_nifti(image.string(), img, NiftiDtype::Int16);
  write_nifti(mask.string(), m, NiftiDtype::UInt8);
}

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

bool has_problem(const std::vector<Problem>& ps, const std::string& part, bool error = true) {
  for (const Problem& p : ps)
    if (p.error == error && contains(p.str(), part)) return true;
  return false;
}

}  // namespace

TEST_CASE("slices along each axis hold the right voxels, and insert_slice puts them back") {
  const Volume v = numbered(5, 4, 3);
  // Along k: row j, column i.
  const Image k1 = extract_slice(v, 2, 1);
  CHECK(k1.height == 4);
  CHECK(k1.width == 5);
  CHECK(k1.at(3, 2) == float(2 + 5 * (3 + 4 * 1)));
  // Along j: row k, column i.
  const Image j2 = extract_slice(v, 1, 2);
  CHECK(j2.height == 3);
  CHECK(j2.width == 5);
  CHECK(j2.at(1, 4) == float(4 + 5 * (2 + 4 * 1)));
  // Along i: row k, column j.
  const Image i3 = extract_slice(v, 0, 3);
  CHECK(i3.height == 3);
  CHECK(i3.width == 4);
  CHECK(i3.at(2, 1) == float(3 + 5 * (1 + 4 * 2)));
  CHECK(slice_count(v, 0) == 5);
  CHECK(slice_count(v, 1) == 4);
  CHECK(slice_count(v, 2) == 3);

  for (int axis = 0; axis < 3; ++axis) {
    std::vector<uint8_t> dst(size_t(v.voxels_per_channel()), 0);
    Image ones(slice_height(v, axis), slice_width(v, axis), 1.0f);
    insert_slice(dst, v, axis, 1, ones);
    int64_t set = 0;
    for (size_t o = 0; o < dst.size(); ++o) {
      const int64_t i = int64_t(o) % 5, j = int64_t(o) / 5 % 4, k = int64_t(o) / 20;
      const int64_t along = axis == 0 ? i : axis == 1 ? j : k;
      CHECK(dst[o] == (along == 1 ? 1 : 0));
      set += dst[o];
    }
    CHECK(set == ones.numel());
  }
  CHECK(contains(error_of([&] { extract_slice(v, 2, 3); }), "slice 3 out of range"));
  CHECK(contains(error_of([&] { extract_slice(v, 3, 0); }), "slice axis must be 0, 1 or 2"));
  std::vector<uint8_t> small(7);
  CHECK(contains(error_of([&] { insert_slice(small, v, 2, 0, Image(4, 5)); }), "the mask has 7 voxels"));
}

TEST_CASE("the slice axis is the one of largest spacing, k on a tie") {
  CHECK(auto_slice_axis(numbered(2, 2, 2, 0.7, 0.7, 2.0)) == 2);
  CHECK(auto_slice_axis(numbered(2, 2, 2, 3.0, 0.7, 0.7)) == 0);
  CHECK(auto_slice_axis(numbered(2, 2, 2, 0.7, 3.0, 0.7)) == 1);
  CHECK(auto_slice_axis(numbered(2, 2, 2, 1.0, 1.0, 1.0)) == 2);
  CHECK(auto_slice_axis(numbered(2, 2, 2, 2.0, 2.0, 1.0)) == 1);
}

TEST_CASE("normalize_volume clips each channel to its percentiles and maps it onto [0, 1]") {
  Volume v = numbered(10, 10, 2);  // 0 .. 199
  v.voxels[0] = -1e6f;             // outliers the clip must ignore
  v.voxels[199] = 1e6f;
  normalize_volume(v, 1.0, 99.0);
  float lo = 1, hi = 0;
  for (float x : v.voxels) lo = std::min(lo, x), hi = std::max(hi, x);
  CHECK(lo == 0.0f);
  CHECK(hi == 1.0f);
  // Inside the range the map is linear: voxel 100 sits half way between the 1st and 99th percentiles.
  const double p1 = 2, p99 = 197;  // nearest-rank on 200 values
  CHECK(v.voxels[100] == doctest::Approx((100 - p1) / (p99 - p1)).epsilon(1e-5));
  Volume flat = numbered(3, 3, 1);
  std::fill(flat.voxels.begin(), flat.voxels.end(), 7.0f);
  normalize_volume(flat);
  for (float x : flat.voxels) CHECK(x == 0.0f);
}

TEST_CASE("an nnU-Net v2 raw folder gives one case per tumour slice and lists its volumes") {
  fbd::test::TempDir dir;
  const Volume img = numbered(6, 7, 5);
  write_pair(dir.path() / "imagesTr/BR_001_0000.nii.gz", dir.path() / "labelsTr/BR_001.nii.gz", img, box_mask(img, 1, 3));
  write_pair(dir.path() / "imagesTr/BR_002_0000.nii.gz", dir.path() / "labelsTr/BR_002.nii.gz", img, box_mask(img, 4, 5));
  // A second channel beyond the one dataset.json names: a warning, and not read.
  write_nifti((dir.path() / "imagesTr/BR_002_0001.nii.gz").string(), img, NiftiDtype::Int16);
  write_text(dir.path() / "dataset.json", R"({"channel_names": {"0": "T1"}, "labels": {"background": 0, "tumour": 1},
                                             "numTraining": 2, "file_ending": ".nii.gz"})");
  const Dataset ds = scan_dataset(dir.path().string());
  CHECK(ds.layout == "nnunet");
  REQUIRE(ds.volumes.size() == 2);
  CHECK(ds.volumes[0].id == "BR_001");
  CHECK(ds.volumes[0].slice_axis == 2);
  CHECK(ds.volumes[0].slices == 5);
  CHECK(ds.volumes[0].tumour_slices == std::vector<int64_t>{1, 2});
  CHECK(ds.volumes[1].tumour_slices == std::vector<int64_t>{4});
  REQUIRE(ds.cases.size() == 3);
  CHECK(ds.cases[0].id == "BR_001_s001");
  CHECK(ds.cases[2].id == "BR_002_s004");
  CHECK(ds.cases[2].patient == "BR_002");
  CHECK(ds.patients() == std::vector<std::string>{"BR_001", "BR_002"});
  CHECK(has_problem(ds.problems, "has channel files beyond the 1 dataset.json names", false));
  CHECK(ds.channels == 1);
  for (const Problem& p : ds.problems) CHECK_MESSAGE(!p.error, p.str());

  // A slice case loads as a sample: the slice of the normalised image and its mask.
  const Sample s = load_case(ds.cases[1]);
  CHECK(s.image.height == 7);
  CHECK(s.image.width == 6);
  CHECK(s.mask.at(3, 2) == 1.0f);
  CHECK(s.mask.at(0, 0) == 0.0f);
  CHECK(mean_value(s.mask) == doctest::Approx(9.0 / 42));
  for (float x : s.image.px) CHECK((x >= 0.0f && x <= 1.0f));
  CHECK(!s.edge.empty());

  const CheckReport rep = check_dataset(ds);
  CHECK(rep.errors() == 0);
  REQUIRE(rep.volumes.size() == 2);
  CHECK(rep.volumes[0].shape == "6x7x5");
  CHECK(rep.volumes[0].orientation == "LPS");
  CHECK(rep.volumes[0].label_values == "0 1");
  CHECK(rep.volumes[0].tumour_ml == doctest::Approx(18 * 0.7 * 0.7 * 2.0 / 1000).epsilon(1e-4));
  CHECK(contains(rep.volume_table(), "BR_002"));
  CHECK(contains(rep.summary(ds), "volumes: 2 (2 ok)"));
}

TEST_CASE("manifest rows of volumes carry patients and labels") {
  fbd::test::TempDir dir;
  const Volume img = numbered(4, 8, 3);
  write_pair(dir.path() / "a/scan.nii.gz", dir.path() / "a/seg.nii.gz", img, box_mask(img, 0, 3));
  write_text(dir.path() / "manifest.csv", "image,mask,patient,label\na/scan.nii.gz,a/seg.nii.gz,P7,malignant\n");
  const Dataset ds = scan_dataset(dir.path().string());
  REQUIRE(ds.volumes.size() == 1);
  CHECK(ds.volumes[0].id == "scan");
  CHECK(ds.volumes[0].label == Label::Malignant);
  REQUIRE(ds.cases.size() == 3);
  CHECK(ds.cases[0].patient == "P7");
  CHECK(ds.cases[0].label == Label::Malignant);
  CHECK(ds.cases[0].is_volume_slice());
}

TEST_CASE("an image and a mask off one grid, or a mask that is not 0/1, is an error naming the files") {
  fbd::test::TempDir dir;
  const Volume img = numbered(6, 7, 5);
  Volume shifted = box_mask(img, 1, 2);
  shifted.affine.m[0][3] += 1.5;
  set_space_from_affine(shifted);
  Volume labels = box_mask(img, 1, 2);
  labels.voxels[0] = 2.0f;
  const Volume other_shape = box_mask(numbered(6, 7, 4), 1, 2);
  write_pair(dir.path() / "imagesTr/A_0000.nii.gz", dir.path() / "labelsTr/A.nii.gz", img, shifted);
  write_pair(dir.path() / "imagesTr/B_0000.nii.gz", dir.path() / "labelsTr/B.nii.gz", img, labels);
  write_pair(dir.path() / "imagesTr/C_0000.nii.gz", dir.path() / "labelsTr/C.nii.gz", img, other_shape);
  write_nifti((dir.path() / "imagesTr/D_0000.nii.gz").string(), img, NiftiDtype::Int16);  // no label file
  write_text(dir.path() / "dataset.json", "{}");
  const Dataset ds = scan_dataset(dir.path().string());
  CHECK(ds.cases.empty());
  CHECK(has_problem(ds.problems, "A.nii.gz: mask's affine differs from its image's"));
  CHECK(has_problem(ds.problems, "A_0000.nii.gz"));
  CHECK(has_problem(ds.problems, "B.nii.gz: values 0 1 2 (a mask must hold 0 and 1 only;"));
  CHECK(has_problem(ds.problems, "C.nii.gz: mask is 6x7x4 but its image"));
  CHECK(has_problem(ds.problems, "no label file"));
  CHECK(has_problem(ds.problems, "no images found"));
  // load_volume_pair refuses the same pairs with one line naming both files.
  const std::string e = error_of([&] {
    load_volume_pair({(dir.path() / "imagesTr/A_0000.nii.gz").string()}, (dir.path() / "labelsTr/A.nii.gz").string());
  });
  CHECK(contains(e, "A.nii.gz"));
  CHECK(contains(e, "A_0000.nii.gz"));
}

TEST_CASE("a bad dataset.json is a problem, not a crash") {
  fbd::test::TempDir dir;
  fs::create_directories(dir.path() / "imagesTr");
  write_text(dir.path() / "dataset.json", "{\"file_ending\": ");
  const Dataset ds = scan_dataset(dir.path().string());
  CHECK(has_problem(ds.problems, "dataset.json: bad JSON"));
  write_text(dir.path() / "dataset.json", "{\"file_ending\": \".mha\"}");
  CHECK(has_problem(scan_dataset(dir.path().string()).problems, "file_ending '.mha'"));
}

TEST_CASE("fbd synth --format nifti writes one volume per patient that reads back as the PNG phantom's slices") {
  fbd::test::TempDir dir;
  PhantomOptions o;
  o.patients = 2;
  o.slices = 3;
  o.size = 48;
  o.threads = 1;
  o.format = "nifti";
  write_phantom(dir.path().string(), o);
  const Dataset ds = scan_dataset(dir.path().string());
  CHECK(ds.layout == "manifest");  // the manifest gives the labels nnU-Net's layout has no place for
  REQUIRE(ds.volumes.size() == 2);
  CHECK(ds.cases.size() == 6);
  const Volume header = read_nifti_header(ds.volumes[0].image);
  CHECK(header.shape_str() == "48x48x3");
  CHECK(header.dz == doctest::Approx(2.0));
  CHECK(header.dx == doctest::Approx(0.7));
  CHECK(header.orientation_code() == "LPS");
  CHECK(header.affine.max_abs_diff(phantom_affine(o, 48, 48, 3)) < 1e-5);
  // The masks are the PNG phantom's, slice by slice.
  const std::vector<PhantomSlice> slices = synth_patient(o, 0);
  for (int64_t k = 0; k < 3; ++k) {
    const Sample s = load_case(ds.cases[size_t(k)]);
    CHECK(s.mask.px == slices[size_t(k)].mask.px);
  }
  // Without the manifest the same folder is an nnU-Net data set.
  fs::remove(dir.path() / "manifest.csv");
  const Dataset nn = scan_dataset(dir.path().string());
  CHECK(nn.layout == "nnunet");
  CHECK(nn.cases.size() == 6);
  o.format = "dicom";
  CHECK(contains(error_of([&] { check_phantom_options(o); }), "--format must be png or nifti"));
}

TEST_CASE("a manifest row may name a DICOM series folder with a NIfTI mask on its grid") {
  const std::string series = fbd::test::fixture("dicom/series_a");
  fbd::test::TempDir dir;
  const Volume img = read_volume(series);
  std::vector<uint8_t> mask(size_t(img.voxels_per_channel()), 0);
  mask[size_t(3 + img.nx * (2 + img.ny * 1))] = 1;  // voxel (3, 2, 1)
  write_nifti_mask(dir.file("seg.nii.gz"), mask, img);
  write_text(dir.path() / "manifest.csv", "image,mask,patient,label\n" + series + ",seg.nii.gz,D1,benign\n");
  const Dataset ds = scan_dataset(dir.path().string());
  for (const Problem& p : ds.problems) CHECK_MESSAGE(!p.error, p.str());
  REQUIRE(ds.volumes.size() == 1);
  CHECK(ds.volumes[0].id == "series_a");
  const int axis = ds.volumes[0].slice_axis;
  REQUIRE(ds.cases.size() == 1);
  const Sample s = load_case(ds.cases[0]);
  CHECK(mean_value(s.mask) * double(s.mask.numel()) == 1.0);
  CHECK(ds.cases[0].slice == (axis == 2 ? 1 : axis == 1 ? 2 : 3));
  // A mask written on another grid is refused, naming both.
  Volume moved = img;
  moved.affine.m[2][3] += 5.0;
  set_space_from_affine(moved);
  write_nifti_mask(dir.file("seg.nii.gz"), mask, moved);
  const Dataset bad = scan_dataset(dir.path().string());
  CHECK(has_problem(bad.problems, "seg.nii.gz: mask's affine differs from its image's"));
}

TEST_CASE("VolumeOptions: a chosen slice axis, and one label of a multi-label mask as the tumour") {
  fbd::test::TempDir dir;
  const Volume img = numbered(6, 7, 5);
  Volume labels = box_mask(img, 1, 3);  // label 1 in slices 1-2
  for (int64_t i = 0; i < 6; ++i) labels.voxels[size_t(i + 6 * (0 + 7 * 4))] = 2.0f;  // label 2: row j=0 of slice 4
  write_pair(dir.path() / "imagesTr/M_0000.nii.gz", dir.path() / "labelsTr/M.nii.gz", img, labels);
  write_text(dir.path() / "dataset.json", "{}");

  // Binary masks expected: the labels are a problem that names the option.
  const Dataset binary = scan_dataset(dir.path().string());
  CHECK(has_problem(binary.problems, "values 0 1 2 (a mask must hold 0 and 1 only; --mask-label K"));

  VolumeOptions two;
  two.mask_label = 2;
  const Dataset ds = scan_dataset(dir.path().string(), two);
  for (const Problem& p : ds.problems) CHECK_MESSAGE(!p.error, p.str());
  REQUIRE(ds.volumes.size() == 1);
  CHECK(ds.volumes[0].tumour_slices == std::vector<int64_t>{4});
  REQUIRE(ds.cases.size() == 1);
  const Sample s = load_case(ds.cases[0]);
  CHECK(mean_value(s.mask) * double(s.mask.numel()) == 6.0);  // label 2 only; label 1 is background
  CHECK(s.mask.at(0, 3) == 1.0f);
  const CheckReport rep = check_dataset(ds);
  REQUIRE(rep.volumes.size() == 1);
  CHECK(rep.volumes[0].label_values == "0 1 2");
  CHECK(rep.volumes[0].tumour_ml == doctest::Approx(6 * 0.7 * 0.7 * 2.0 / 1000).epsilon(1e-4));

  VolumeOptions absent;
  absent.mask_label = 3;
  CHECK(has_problem(scan_dataset(dir.path().string(), absent).problems, "mask is empty of label 3", false));

  // Sliced along i: 6 slices of 5 x 7 (rows k, columns j); label 1 spans i = 1..3.
  VolumeOptions along_i;
  along_i.slice_axis = 0;
  along_i.mask_label = 1;
  const Dataset di = scan_dataset(dir.path().string(), along_i);
  REQUIRE(di.volumes.size() == 1);
  CHECK(di.volumes[0].slice_axis == 0);
  CHECK(di.volumes[0].slices == 6);
  CHECK(di.volumes[0].tumour_slices == std::vector<int64_t>{1, 2, 3});
  const Sample si = load_case(di.cases[0]);
  CHECK(si.image.height == 5);
  CHECK(si.image.width == 7);

  CHECK(parse_slice_axis("auto") == -1);
  CHECK(parse_slice_axis("K") == 2);
  CHECK(parse_slice_axis("1") == 1);
  CHECK(contains(error_of([] { parse_slice_axis("z"); }), "--slice-axis must be auto, i, j or k"));
  VolumeOptions bad;
  bad.mask_label = -1;
  CHECK(contains(error_of([&] { scan_dataset(dir.path().string(), bad); }), "--mask-label must be 0"));
}

TEST_CASE("volume_name: the name a volume's cases and outputs take") {
  CHECK(volume_name("/d/imagesTr/BR_001_0000.nii.gz") == "BR_001");
  CHECK(volume_name("/d/scan.nii") == "scan");
  CHECK(volume_name("/d/scan_0001.nii.gz") == "scan_0001");  // only the first channel's suffix goes
  CHECK(volume_name("/d/slice.dcm") == "slice");
  const std::string series = fbd::test::fixture("dicom/series_a");
  CHECK(volume_name(series) == "series_a");
  CHECK(volume_name(series + "/") == "series_a");
}

TEST_CASE("split_channel_suffix: nnU-Net's _NNNN channel numbers, and names without one") {
  const auto c = split_channel_suffix("BR_001_0003");
  CHECK(c.case_name == "BR_001");
  CHECK(c.channel == 3);
  CHECK(split_channel_suffix("BR_001_0000").channel == 0);
  CHECK(split_channel_suffix("scan_12345").channel == -1);  // five digits: not a channel suffix
  CHECK(split_channel_suffix("scan_001").channel == -1);    // three digits
  CHECK(split_channel_suffix("scan_00a1").channel == -1);
  CHECK(split_channel_suffix("scan").channel == -1);
  CHECK(split_channel_suffix("scan").case_name == "scan");
  CHECK(split_channel_suffix("_0002").case_name.empty());
  CHECK(split_channel_suffix("_0002").channel == 2);
}
