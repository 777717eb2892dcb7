// Data sets on disk: the three layouts, merging of NAME_mask_N masks, derived edges, and the
// validation that lists problems (missing and orphan masks, size mismatches, non-binary masks,
// duplicate ids, bad manifest rows, empty folders) instead of stopping at the first.
#include <filesystem>
#include <fstream>

#include "data/dataset.h"
#include "data/image_io.h"
#include "data/morphology.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;
using namespace fbd::data;
using fbd::test::contains;
using fbd::test::error_of;
namespace fs = std::filesystem;

namespace {

Image square_mask(int64_t h, int64_t w, int64_t y0, int64_t x0, int64_t side) {
  Image m(h, w);
  for (int64_t y = y0; y < y0 + side; ++y)
    for (int64_t x = x0; x < x0 + side; ++x) m.at(y, x) = 1.0f;
  return m;
}

void put_image(const fs::path& p, int64_t h = 8, int64_t w = 8) {
  fs::create_directories(p.parent_path());
  Image img(h, w, 0.5f);
  write_png(p.string(), img, 8);
}

void put_mask(const fs::path& p, const Image& m) {
  fs::create_directories(p.parent_path());
  write_mask_png(p.string(), m);
}

void put_text(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

bool has_problem(const std::vector<Problem>& ps, const std::string& part, bool error = true) {
  for (const Problem& p : ps)
    if (p.error == error && contains(p.str(), part)) return true;
  return false;
}

std::string all(const std::vector<Problem>& ps) {
  std::string s;
  for (const Problem& p : ps) s += p.str() + "\n";
  return s;
}

}  // namespace

TEST_CASE("layout images/ + masks/ with edges/") {
  test::TempDir dir;
  put_image(dir.path() / "images/a.png");
  put_image(dir.path() / "images/b.jpg.png");  // any name; the id is the stem
  put_mask(dir.path() / "masks/a.png", square_mask(8, 8, 2, 2, 3));
  put_mask(dir.path() / "masks/b.jpg_mask.png", square_mask(8, 8, 0, 0, 2));
  put_mask(dir.path() / "edges/a.png", square_mask(8, 8, 2, 2, 1));
  put_mask(dir.path() / "masks/orphan.png", Image(8, 8));
  const Dataset ds = scan_dataset(dir.path().string());
  CHECK(ds.layout == "images/masks");
  REQUIRE(ds.cases.size() == 2);
  CHECK(ds.cases[0].id == "a");
  CHECK(ds.cases[0].edge == (dir.path() / "edges/a.png").string());
  CHECK(ds.cases[1].id == "b.jpg");
  CHECK(ds.cases[1].masks.size() == 1);
  CHECK(has_problem(ds.problems, "orphan.png: mask without an image", false));
  CHECK(has_problem(ds.problems, "no edges/b.jpg.png", false));
  CHECK(has_problem(ds.problems, "each image is treated as its own patient", false));
  const CheckReport rep = check_dataset(ds);
  CHECK_MESSAGE(rep.errors() == 0, all(rep.problems));
  CHECK(rep.cases[0].foreground == doctest::Approx(9.0 / 64.0));
  // The annotated edge is used as is; b's is derived from its mask.
  const Sample a = load_case(ds.cases[0]);
  CHECK(mean_value(a.edge) == doctest::Approx(1.0 / 64.0));
  const Sample b = load_case(ds.cases[1], 1);
  CHECK(b.edge.px == edges_from_mask(b.mask, 1).px);
}

TEST_CASE("flat layout: NAME_mask_N masks are merged by OR; labels from benign/malignant folders") {
  test::TempDir dir;
  put_image(dir.path() / "benign/case (1).png");
  put_mask(dir.path() / "benign/case (1)_mask.png", square_mask(8, 8, 0, 0, 2));
  put_mask(dir.path() / "benign/case (1)_mask_1.png", square_mask(8, 8, 5, 5, 2));
  put_mask(dir.path() / "benign/case (1)_mask_2.png", square_mask(8, 8, 0, 0, 3));
  put_image(dir.path() / "Malignant/m2.png");
  put_mask(dir.path() / "Malignant/m2_mask.png", square_mask(8, 8, 4, 4, 4));
  put_image(dir.path() / "loose.png");
  const Dataset ds = scan_dataset(dir.path().string());
  CHECK(ds.layout == "flat");
  REQUIRE(ds.cases.size() == 3);
  const CaseEntry* c1 = ds.find("case (1)");
  REQUIRE(c1 != nullptr);
  CHECK(c1->label == Label::Benign);
  CHECK(c1->masks.size() == 3);
  CHECK(ds.find("m2")->label == Label::Malignant);
  CHECK(ds.find("loose")->masks.empty());
  CHECK(has_problem(ds.problems, "loose.png: no mask (looked for loose_mask.png)"));
  const Sample s = load_case(*c1);
  // OR of a 2x2 and a 3x3 square at the corner and a 2x2 square at (5, 5): 9 + 4 pixels.
  CHECK(mean_value(s.mask) * 64.0 == doctest::Approx(13.0));
  CHECK(s.mask.at(6, 6) == 1.0f);
  CHECK(s.mask.at(2, 2) == 1.0f);
}

TEST_CASE("manifest layout with patients and labels") {
  test::TempDir dir;
  for (const char* n : {"s1", "s2", "s3"}) {
    put_image(dir.path() / "img" / (std::string(n) + ".png"));
    put_mask(dir.path() / "lbl" / (std::string(n) + ".png"), square_mask(8, 8, 1, 1, 2));
  }
  put_text(dir.path() / "manifest.csv",
           "image,mask,patient,label\n"
           "img/s1.png,lbl/s1.png,p1,benign\n"
           "\"img/s2.png\",lbl/s2.png,p1,Benign\r\n"
           "img/s3.png,lbl/s3.png,p2,\n");
  const Dataset ds = scan_dataset(dir.path().string());
  CHECK(ds.layout == "manifest");
  CHECK_MESSAGE(ds.problems.empty(), all(ds.problems));
  REQUIRE(ds.cases.size() == 3);
  CHECK(ds.cases[1].patient == "p1");
  CHECK(ds.cases[1].label == Label::Benign);
  CHECK(ds.cases[2].label == Label::Unknown);
  CHECK(ds.patients() == std::vector<std::string>{"p1", "p2"});
  const CheckReport rep = check_dataset(ds);
  CHECK(rep.errors() == 0);
  const std::string sum = rep.summary(ds);
  CHECK(contains(sum, "cases: 3 (3 ok), patients: 2"));
  CHECK(contains(sum, "patients by label: benign 1 malignant 0 unknown 1"));
  CHECK(contains(sum, "sizes: 8x8 (3)"));
  CHECK(contains(sum, "foreground fraction: min 6.25%"));
  CHECK(contains(rep.case_table(), "s2"));
}

TEST_CASE("manifest problems are listed, one per row") {
  test::TempDir dir;
  put_image(dir.path() / "a.png");
  put_mask(dir.path() / "a_m.png", Image(8, 8));
  SUBCASE("missing column") {
    put_text(dir.path() / "manifest.csv", "image,mask,label\na.png,a_m.png,benign\n");
    CHECK(has_problem(scan_dataset(dir.path().string()).problems, "missing column 'patient'"));
  }
  SUBCASE("bad rows") {
    put_text(dir.path() / "manifest.csv",
             "image,mask,patient,label\n"
             "a.png,a_m.png,p1,maybe\n"
             "a.png,a_m.png\n"
             "b.png,a_m.png,p2,benign\n"
             "a.png,zz.png,p3,malignant\n"
             ",a_m.png,p4,benign\n");
    const Dataset ds = scan_dataset(dir.path().string());
    const std::string m = (dir.path() / "manifest.csv").string();
    CHECK(has_problem(ds.problems, m + " line 2: label 'maybe' is not benign, malignant or unknown"));
    CHECK(has_problem(ds.problems, m + " line 3: expected 4 fields, found 2"));
    CHECK(has_problem(ds.problems, m + " line 4: image " + (dir.path() / "b.png").string() + " does not exist"));
    CHECK(has_problem(ds.problems, "line 5: mask " + (dir.path() / "zz.png").string() + " does not exist"));
    CHECK(has_problem(ds.problems, "line 6: image, mask and patient must not be empty"));
  }
  SUBCASE("duplicate ids") {
    put_text(dir.path() / "manifest.csv",
             "image,mask,patient,label\na.png,a_m.png,p1,benign\na.png,a_m.png,p2,benign\n");
    CHECK(has_problem(scan_dataset(dir.path().string()).problems, "a: duplicate id: 2 images share it"));
  }
}

TEST_CASE("duplicate ids from images/ (a.png and a.jpg)") {
  test::TempDir dir;
  put_image(dir.path() / "images/a.png");
  put_image(dir.path() / "images/a.jpg");
  put_mask(dir.path() / "masks/a.png", Image(8, 8));
  CHECK(has_problem(scan_dataset(dir.path().string()).problems, "duplicate id"));
}

TEST_CASE("validation lists every bad file and keeps going") {
  test::TempDir dir;
  put_image(dir.path() / "images/ok.png");
  put_mask(dir.path() / "masks/ok.png", square_mask(8, 8, 0, 0, 2));
  put_image(dir.path() / "images/size.png");
  put_mask(dir.path() / "masks/size.png", Image(6, 8));
  put_image(dir.path() / "images/gray.png");
  Image nb(8, 8, 0.5f);
  write_png((dir.path() / "masks/gray.png").string(), nb, 8);
  put_image(dir.path() / "images/nomask.png");
  put_image(dir.path() / "images/empty.png");
  put_mask(dir.path() / "masks/empty.png", Image(8, 8));
  std::ofstream(dir.path() / "images/broken.png") << "\x89PNG\r\n\x1a\nxx";
  put_mask(dir.path() / "masks/broken.png", Image(8, 8));
  const Dataset ds = scan_dataset(dir.path().string());
  const CheckReport rep = check_dataset(ds);
  const std::string list = all(rep.problems);
  CHECK_MESSAGE(rep.errors() == 4, list);
  CHECK(has_problem(rep.problems, "masks/size.png: mask is 6x8 but its image is 8x8"));
  CHECK(has_problem(rep.problems, "masks/gray.png: mask is not binary: values must be 0 and 1 or 0 and 255"));
  CHECK(has_problem(rep.problems, "images/nomask.png: no mask"));
  CHECK(has_problem(rep.problems, "images/broken.png: truncated PNG"));
  CHECK(has_problem(rep.problems, "empty: mask is empty", false));
  size_t ok = 0;
  for (const CaseStats& c : rep.cases) ok += c.ok;
  CHECK(ok == 2);  // ok and empty
  // load_case stops at the first problem of its case, naming the file.
  const std::string e = error_of([&] { load_case(*ds.find("size")); });
  CHECK(contains(e, "masks/size.png: mask is 6x8 but its image"));
}

TEST_CASE("empty and missing folders") {
  test::TempDir dir;
  const Dataset ds = scan_dataset(dir.path().string());
  CHECK(ds.cases.empty());
  CHECK(has_problem(ds.problems, "no images found (expected manifest.csv, images/ + masks/, NAME.png + NAME_mask.png, or nnU-Net"));
  CHECK(contains(error_of([&] { scan_dataset(dir.file("nope")); }), "nope: no such folder"));
  std::ofstream(dir.file("f.txt")) << "x";
  CHECK(contains(error_of([&] { scan_dataset(dir.file("f.txt")); }), "f.txt: not a folder"));
}

TEST_CASE("labels parse case-insensitively") {
  Label l;
  CHECK((parse_label(" Malignant ", l) && l == Label::Malignant));
  CHECK((parse_label("B", l) && l == Label::Benign));
  CHECK((parse_label("", l) && l == Label::Unknown));
  CHECK_FALSE(parse_label("cancer", l));
}
