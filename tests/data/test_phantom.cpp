// The synthetic breast-MRI phantom: determinism, label counts, tumour statistics (small
// targets that grow and shrink across a patient's slices; malignant outlines more irregular
// than benign ones) and the files fbd synth writes.
#include <algorithm>
#include <filesystem>
#include <set>

#include "core/file_io.h"
#include "data/dataset.h"
#include "data/image_io.h"
#include "data/morphology.h"
#include "data/phantom.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;
using namespace fbd::data;
using fbd::test::contains;
using fbd::test::error_of;

namespace {

PhantomOptions small(int patients = 10, int slices = 5, int size = 96) {
  PhantomOptions o;
  o.patients = patients;
  o.slices = slices;
  o.size = size;
  o.seed = 3;
  return o;
}

int64_t count(const Image& m) {
  int64_t n = 0;
  for (float v : m.px) n += v != 0.0f;
  return n;
}

// Boundary pixels squared over area: 16 for a square, about 4 pi = 12.6 for a disc (in the
// 4-neighbour sense, ~ 16 for digital discs), much more for spiculated outlines.
double irregularity(const Image& m) {
  const double edge = double(count(edges_from_mask(m, 1)));
  return edge * edge / double(count(m));
}

}  // namespace

TEST_CASE("phantom: same options give the same slices; the seed and the thread count") {
  PhantomOptions o = small(4, 3, 64);
  o.threads = 1;
  const auto a = synth_phantom(o);
  o.threads = 3;
  const auto b = synth_phantom(o);
  REQUIRE(a.size() == 12);
  REQUIRE(b.size() == 12);
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].id == b[i].id);
    CHECK(a[i].image.px == b[i].image.px);
    CHECK(a[i].mask.px == b[i].mask.px);
  }
  // One patient alone is the same as within the set.
  CHECK(synth_patient(o, 2)[1].image.px == a[7].image.px);
  o.seed = 4;
  CHECK(synth_phantom(o)[0].image.px != a[0].image.px);
}

TEST_CASE("phantom: labels, ids and value ranges") {
  PhantomOptions o = small(9, 2, 64);
  o.malignant_fraction = 1.0 / 3.0;
  const auto labels = phantom_labels(o);
  CHECK(std::count(labels.begin(), labels.end(), Label::Malignant) == 3);
  o.malignant_fraction = 0.5;
  const auto slices = synth_phantom(o);
  std::set<std::string> patients_m, patients_b, ids;
  for (const PhantomSlice& s : slices) {
    (s.label == Label::Malignant ? patients_m : patients_b).insert(s.patient);
    ids.insert(s.id);
    CHECK(is_binary(s.mask));
    const auto [mn, mx] = std::minmax_element(s.image.px.begin(), s.image.px.end());
    CHECK(*mn >= 0.0f);
    CHECK(*mx <= 1.0f);
    CHECK(*mx > 0.5f);  // not a blank slice
  }
  CHECK(patients_m.size() == 5);  // round(9 * 0.5) = round(4.5) = 5 (away from zero)
  CHECK(patients_b.size() == 4);
  CHECK(ids.size() == slices.size());
  CHECK(slices[3].id == "P001_S01");
}

TEST_CASE("phantom: small targets that grow and shrink across the slices") {
  const PhantomOptions o = small(16, 7, 128);
  const auto slices = synth_phantom(o);
  double sum = 0, lo = 1, hi = 0;
  int grow_shrink = 0;
  for (int p = 0; p < o.patients; ++p) {
    std::vector<double> f;
    for (int k = 0; k < o.slices; ++k) f.push_back(mean_value(slices[size_t(p * o.slices + k)].mask));
    for (double v : f) {
      sum += v;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    // The widest section is inside the stack and both ends are smaller than it.
    const size_t top = size_t(std::max_element(f.begin(), f.end()) - f.begin());
    grow_shrink += f.front() < f[top] && f.back() < f[top];
  }
  const double mean = sum / double(slices.size());
  MESSAGE("tumour fraction: mean " << mean << ", min " << lo << ", max " << hi);
  CHECK(lo > 0.001);    // every slice shows its tumour
  CHECK(hi < 0.05);     // never more than a few percent of the slice
  CHECK(mean > 0.004);  // on average around 1%
  CHECK(mean < 0.02);
  CHECK(grow_shrink >= o.patients - 2);
}

TEST_CASE("phantom, realistic style: lesions from about 1% to over 15% of a quadrant, low contrast, speckle") {
  PhantomOptions o = small(24, 3, 128);
  const auto plain = synth_phantom(o);
  o.style = "realistic";
  const auto real = synth_phantom(o);
  REQUIRE(real.size() == plain.size());
  // Tumour area as a fraction of a quadrant (a quarter of the slice), at each patient's middle
  // slice; contrast as the tumour's mean over the mean of the breast tissue around it.
  auto stats = [&](const std::vector<PhantomSlice>& v, std::vector<double>& frac, double& contrast) {
    double c = 0;
    for (int p = 0; p < o.patients; ++p) {
      const PhantomSlice& s = v[size_t(p * o.slices + 1)];
      frac.push_back(4.0 * mean_value(s.mask));
      const Image ring = dilate(s.mask, 4);
      double t = 0, b = 0;
      int64_t nt = 0, nb = 0;
      for (size_t i = 0; i < s.mask.px.size(); ++i) {
        if (s.mask.px[i] != 0)
          t += s.image.px[i], ++nt;
        else if (ring.px[i] != 0 && s.breast.px[i] != 0)
          b += s.image.px[i], ++nb;
      }
      c += std::fabs(t / double(std::max<int64_t>(nt, 1)) / (b / double(std::max<int64_t>(nb, 1))) - 1.0);
    }
    contrast = c / o.patients;
  };
  std::vector<double> f_plain, f_real;
  double c_plain = 0, c_real = 0;
  stats(plain, f_plain, c_plain);
  stats(real, f_real, c_real);
  std::sort(f_real.begin(), f_real.end());
  MESSAGE("realistic: tumour / quadrant from " << f_real.front() << " to " << f_real.back() << ", |contrast - 1| "
                                               << c_real << " (default style " << c_plain << ")");
  CHECK(f_real.front() < 0.02);
  CHECK(f_real.back() > 0.15);
  CHECK(c_real < 0.6 * c_plain);
  // The default style is unchanged by the option's existence: the same seed gives the same masks.
  o.style = "default";
  CHECK(synth_patient(o, 2)[0].mask.px == plain[size_t(2 * o.slices)].mask.px);
  o.style = "cartoon";
  CHECK(contains(error_of([&] { check_phantom_options(o); }), "--style must be default or realistic, got 'cartoon'"));
}

TEST_CASE("phantom: malignant tumours are spiculated, benign ones smooth; one lesion per slice") {
  const PhantomOptions o = small(16, 3, 192);
  const auto slices = synth_phantom(o);
  double irr_b = 0, irr_m = 0;
  int nb = 0, nm = 0;
  for (const PhantomSlice& s : slices) {
    if (s.slice != 1) continue;  // the middle, widest sections
    const double irr = irregularity(s.mask);
    (s.label == Label::Malignant ? irr_m : irr_b) += irr;
    (s.label == Label::Malignant ? nm : nb) += 1;
    // One lesion: its largest connected part holds (nearly) all of it.
    CHECK(count(largest_component(s.mask)) >= count(s.mask) * 95 / 100);
  }
  irr_b /= nb;
  irr_m /= nm;
  MESSAGE("boundary^2 / area: benign " << irr_b << ", malignant " << irr_m);
  CHECK(irr_b < 22.0);
  CHECK(irr_m > 1.4 * irr_b);
}

TEST_CASE("write_phantom: a complete, valid data set and its gallery") {
  test::TempDir dir;
  const std::string out = dir.file("ph");
  PhantomOptions o = small(6, 3, 64);
  const PhantomSummary sum = write_phantom(out, o);
  CHECK(sum.cases == 18);
  CHECK(sum.benign + sum.malignant == 6);
  for (const char* f : {"manifest.csv", "phantom.json", "gallery.png", "images/P000_S00.png", "masks/P005_S02.png",
                        "edges/P003_S01.png"})
    CHECK_MESSAGE(std::filesystem::exists(out + "/" + f), f);
  const Dataset ds = scan_dataset(out);
  CHECK(ds.layout == "manifest");
  CHECK(ds.patients().size() == 6);
  const CheckReport rep = check_dataset(ds);
  CHECK(rep.errors() == 0);
  CHECK(rep.warnings() == 0);
  // The files hold the synthesised slices (16-bit images: within half a step).
  const auto slices = synth_phantom(o);
  const Sample s = load_case(*ds.find("P004_S01"));
  const PhantomSlice& ref = slices[4 * 3 + 1];
  CHECK(s.mask.px == ref.mask.px);
  CHECK(s.edge.px == edges_from_mask(ref.mask, 1).px);
  double err = 0;
  for (size_t i = 0; i < s.image.px.size(); ++i)
    err = std::max(err, double(std::fabs(s.image.px[i] - ref.image.px[i])));
  CHECK(err <= 0.5 / 65535.0 + 1e-7);
  CHECK(read_raw_image(out + "/gallery.png").channels == 3);

  // Writing again over an earlier phantom replaces it; a foreign non-empty folder is refused.
  o.patients = 2;
  write_phantom(out, o);
  CHECK(scan_dataset(out).cases.size() == 6);
  CHECK_FALSE(std::filesystem::exists(out + "/images/P005_S00.png"));
  std::filesystem::create_directories(dir.file("other"));
  write_file_atomic(dir.file("other/x.txt"), [](std::ostream& os) { os << "x"; });
  CHECK(contains(error_of([&] { write_phantom(dir.file("other"), o); }), "is not empty and holds no earlier phantom"));
}

TEST_CASE("phantom options are checked") {
  PhantomOptions o = small();
  o.size = 16;
  CHECK(contains(error_of([&] { synth_phantom(o); }), "--size must be in [32, 4096], got 16"));
  o = small();
  o.patients = 0;
  CHECK(contains(error_of([&] { synth_phantom(o); }), "--patients must be in"));
  o = small();
  o.bit_depth = 12;
  CHECK(contains(error_of([&] { synth_phantom(o); }), "--bit-depth must be 8 or 16"));
}
