// 3-D segmentation metrics in millimetres (losses/volume_metrics.h) against NumPy/SciPy
// (tests/reference/make_volume_fixtures.py) and hand-checked volumes.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/npy.h"
#include "losses/volume_metrics.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;

namespace {

struct Grid {
  int64_t nz, ny, nx;
  size_t at(int64_t z, int64_t y, int64_t x) const { return size_t((z * ny + y) * nx + x); }
  size_t size() const { return size_t(nz * ny * nx); }
};

VolumeMetrics metrics_of(const std::vector<uint8_t>& p, const std::vector<uint8_t>& t, const Grid& g, double sz,
                         double sy, double sx, double q = 95.0) {
  return volume_metrics(p.data(), t.data(), g.nz, g.ny, g.nx, sz, sy, sx, q);
}

}  // namespace

TEST_CASE("volume metrics equal the NumPy/SciPy reference on anisotropic random blobs") {
  const Tensor pred = read_npy(test::fixture("metrics/vm_pred.npy"));
  const Tensor target = read_npy(test::fixture("metrics/vm_target.npy"));
  const Tensor expected = read_npy(test::fixture("metrics/vm_expected.npy"));  // float64 rounded to float32
  REQUIRE(pred.dtype() == DType::U8);
  REQUIRE(pred.shape() == target.shape());
  const int64_t k = pred.size(0), nz = pred.size(1), ny = pred.size(2), nx = pred.size(3), vol = nz * ny * nx;
  REQUIRE(expected.shape() == Shape{k, 10});
  const auto want = expected.to_vector();
  for (int64_t i = 0; i < k; ++i) {
    INFO("volume " << i);
    const VolumeMetrics m =
        volume_metrics(pred.data<uint8_t>() + i * vol, target.data<uint8_t>() + i * vol, nz, ny, nx, 2.5, 0.75, 0.6);
    const std::vector<float> got{float(m.dice),        float(m.iou),      float(m.precision), float(m.sensitivity),
                                 float(m.specificity), float(m.hd),       float(m.hd95),      float(m.assd),
                                 float(m.pred_ml),     float(m.target_ml)};
    // The reference is float64 and rounded to float32 in the file; fbd's distances are float32
    // (the EDT's output) summed and interpolated in double: a few float ulps apart at most.
    test::check_close(std::vector<float>(want.begin() + i * 10, want.begin() + (i + 1) * 10), got, 1e-6, 1e-6,
                      "dice, iou, precision, sensitivity, specificity, hd, hd95, assd, pred_ml, target_ml");
    CHECK_FALSE(m.one_empty);
    CHECK(m.tp + m.fp + m.fn + m.tn == vol);
  }
}

TEST_CASE("volume metrics: two single voxels 5 mm apart (3-4-5 in mm with spacing (3, 2, 1))") {
  const Grid g{4, 6, 3};
  std::vector<uint8_t> p(g.size(), 0), t(g.size(), 0);
  p[g.at(1, 1, 1)] = 1;
  t[g.at(2, 3, 1)] = 1;  // dz = 1 slice = 3 mm, dy = 2 rows = 4 mm
  const VolumeMetrics m = metrics_of(p, t, g, 3.0, 2.0, 1.0);
  CHECK(m.hd == 5.0);
  CHECK(m.hd95 == 5.0);
  CHECK(m.assd == 5.0);
  CHECK(m.dice == 0.0);
  CHECK(m.precision == 0.0);
  CHECK(m.sensitivity == 0.0);
  CHECK(m.tp == 0);
  CHECK(m.fp == 1);
  CHECK(m.fn == 1);
  CHECK(m.pred_ml == doctest::Approx(0.006));  // one voxel of 3 x 2 x 1 mm^3
  CHECK_FALSE(m.one_empty);
}

TEST_CASE("volume metrics: a cube and its centre voxel (the surface is the cube's outer layer)") {
  const Grid g{7, 7, 7};
  std::vector<uint8_t> cube(g.size(), 0), centre(g.size(), 0);
  for (int64_t z = 1; z <= 5; ++z)
    for (int64_t y = 1; y <= 5; ++y)
      for (int64_t x = 1; x <= 5; ++x) cube[g.at(z, y, x)] = 1;
  centre[g.at(3, 3, 3)] = 1;
  const VolumeMetrics m = metrics_of(cube, centre, g, 1.0, 1.0, 1.0);
  // cube surface -> centre: 98 voxels (125 - 27 inside), the farthest the 8 corners at sqrt(12),
  // so more than 5% of them: the 95th percentile is sqrt(12) too; centre -> cube surface: 2.
  // assd (NumPy): the mean of the 98 + 1 distances, 2.627346704089369.
  CHECK(m.hd == doctest::Approx(std::sqrt(12.0)));
  CHECK(m.hd95 == doctest::Approx(std::sqrt(12.0)));
  CHECK(m.assd == doctest::Approx(2.627346704089369).epsilon(1e-6));
  CHECK(m.precision == doctest::Approx(1.0 / 125.0));
  CHECK(m.sensitivity == 1.0);
  // With percentile 100 the "hd95" is the maximum.
  CHECK(metrics_of(cube, centre, g, 1.0, 1.0, 1.0, 100.0).hd95 == m.hd);
}

TEST_CASE("volume metrics: both masks empty -> 0 and the 2-D rules for the ratios") {
  const Grid g{3, 4, 5};
  const std::vector<uint8_t> empty(g.size(), 0);
  const VolumeMetrics m = metrics_of(empty, empty, g, 2.0, 0.7, 0.7);
  CHECK(m.hd == 0.0);
  CHECK(m.hd95 == 0.0);
  CHECK(m.assd == 0.0);
  CHECK_FALSE(m.one_empty);
  CHECK(m.dice == 1.0);
  CHECK(m.iou == 1.0);
  CHECK(std::isnan(m.precision));    // nothing predicted
  CHECK(std::isnan(m.sensitivity));  // empty target
  CHECK(m.specificity == 1.0);
  CHECK(m.tn == 60);
  CHECK(m.pred_ml == 0.0);
}

TEST_CASE("volume metrics: exactly one mask empty -> the volume's diagonal in mm, one_empty") {
  const Grid g{3, 4, 5};
  std::vector<uint8_t> empty(g.size(), 0), one(g.size(), 0);
  one[g.at(1, 2, 3)] = 1;
  const double sz = 2.0, sy = 0.7, sx = 0.5;
  const double diag = std::sqrt((2 * sz) * (2 * sz) + (3 * sy) * (3 * sy) + (4 * sx) * (4 * sx));
  const VolumeMetrics pred_empty = metrics_of(empty, one, g, sz, sy, sx);
  CHECK(pred_empty.one_empty);
  CHECK(pred_empty.hd == diag);
  CHECK(pred_empty.hd95 == diag);
  CHECK(pred_empty.assd == diag);
  CHECK(std::isnan(pred_empty.precision));  // nothing predicted
  CHECK(pred_empty.sensitivity == 0.0);
  CHECK(pred_empty.dice == 0.0);
  const VolumeMetrics target_empty = metrics_of(one, empty, g, sz, sy, sx);
  CHECK(target_empty.one_empty);
  CHECK(target_empty.hd == diag);
  CHECK(std::isnan(target_empty.sensitivity));
  CHECK(target_empty.precision == 0.0);
}

TEST_CASE("volume metrics: identical masks give 0 distances; nonzero values other than 1 count as tumour") {
  const Grid g{4, 5, 6};
  std::vector<uint8_t> p(g.size(), 0), t(g.size(), 0);
  for (int64_t y = 1; y < 4; ++y) {
    p[g.at(2, y, 2)] = 255;
    t[g.at(2, y, 2)] = 1;
  }
  const VolumeMetrics m = metrics_of(p, t, g, 2.0, 0.7, 0.7);
  CHECK(m.dice == 1.0);
  CHECK(m.hd == 0.0);
  CHECK(m.hd95 == 0.0);
  CHECK(m.assd == 0.0);
  CHECK(m.tp == 3);
}

TEST_CASE("volume metrics: bad spacing, percentile or size are one-line errors") {
  const Grid g{2, 2, 2};
  const std::vector<uint8_t> v(g.size(), 0);
  auto one_line = [](const std::string& e, const std::string& part) {
    CHECK_MESSAGE(test::contains(e, part), e);
    CHECK(e.find('\n') == std::string::npos);
  };
  for (const double s : {0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity()})
    one_line(test::error_of([&] { metrics_of(v, v, g, 1.0, s, 1.0); }),
             "volume_metrics: voxel spacing must be positive and finite");
  one_line(test::error_of([&] { metrics_of(v, v, g, 1.0, 1.0, 1.0, 101.0); }),
           "volume_metrics: percentile must be in [0, 100], got 101");
  one_line(test::error_of([&] { volume_metrics(v.data(), v.data(), 0, 2, 2); }),
           "volume_metrics: expected a volume of at least one voxel, got 0 x 2 x 2");
}
