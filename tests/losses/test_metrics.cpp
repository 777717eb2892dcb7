// Metrics (losses/metrics.h) against the NumPy/SciPy reference of
// tests/reference/make_metric_fixtures.py (MONAI's and medpy's Hausdorff conventions and Cheng
// et al.'s boundary IoU written out there), hand-made cases, the batch means and bad input.
//
// Tolerances: the count-based metrics (Dice ... accuracy, boundary IoU/Dice) are the same double
// ratios of the same integers on both sides: 1e-12. Hausdorff values: fbd's EDT is float32 (the
// correctly rounded exact distance) where SciPy's is float64, so 1e-6 relative.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "core/npy.h"
#include "losses/metrics.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;

namespace {

Tensor load(const std::string& name) { return read_npy(test::fixture("metrics/" + name)); }

bool is_hausdorff(int k) { return k == int(Metric::HD) || k == int(Metric::HD95); }

// expected: rows of kNumMetrics + 1 values (the last: the pooled HD95), as the script writes.
void check_against(const MetricsReport& r, const std::vector<float>& expected, bool pooled, const char* what) {
  const int64_t cols = kNumMetrics + 1;
  REQUIRE(int64_t(expected.size()) == int64_t(r.images.size()) * cols);
  for (size_t n = 0; n < r.images.size(); ++n)
    for (int k = 0; k < kNumMetrics; ++k) {
      double want = expected[n * cols + size_t(k)];
      if (pooled && k == int(Metric::HD95)) want = expected[n * cols + kNumMetrics];
      const double got = r.images[n].value[size_t(k)];
      INFO(what << ": image " << n << " " << metric_name(Metric(k)) << " expected " << want << " got " << got);
      if (std::isnan(want)) {
        CHECK(std::isnan(got));
      } else {
        // The fixture holds float64 values read as float32: compare at float precision, with the
        // tighter bound for the counts where float rounding of `want` is the only difference.
        const double tol = is_hausdorff(k) ? 1e-6 * std::fabs(want) + 1e-6 : 1e-7 * std::fabs(want) + 1e-12;
        CHECK(std::fabs(got - want) <= tol);
      }
    }
}

}  // namespace

TEST_CASE("metrics equal the NumPy/SciPy reference (MONAI HD95, medpy pooled HD95, Cheng boundary IoU)") {
  const Tensor pred = load("metrics_pred.npy"), target = load("metrics_target.npy");
  const auto expected = load("metrics_expected.npy").to_vector();
  check_against(compute_metrics(pred, target), expected, false, "unit spacing");
  MetricOptions pooled;
  pooled.hd95 = Hd95::Pooled;
  check_against(compute_metrics(pred, target, pooled), expected, true, "pooled");
  MetricOptions spaced;
  spaced.spacing_y = 1.5f;
  spaced.spacing_x = 0.8f;
  check_against(compute_metrics(pred, target, spaced), load("metrics_expected_spacing.npy").to_vector(), false,
                "spacing (1.5, 0.8)");
}

TEST_CASE("batch means leave out undefined values and count them; Hausdorff is never left out") {
  const Tensor pred = load("metrics_pred.npy"), target = load("metrics_target.npy");
  const MetricsReport r = compute_metrics(pred, target);
  for (int k = 0; k < kNumMetrics; ++k) {
    double sum = 0;
    int64_t used = 0, left_out = 0;
    for (const ImageMetrics& m : r.images) {
      if (std::isnan(m.value[size_t(k)]))
        ++left_out;
      else
        sum += m.value[size_t(k)], ++used;
    }
    INFO(metric_name(Metric(k)));
    CHECK(r.mean[size_t(k)].used == used);
    CHECK(r.mean[size_t(k)].left_out == left_out);
    CHECK(r.mean[size_t(k)].mean == doctest::Approx(sum / double(used)).epsilon(1e-12));
  }
  // The fixture's cases: image 1 both empty, 2 prediction empty, 3 target empty, 4 full target.
  CHECK(r[Metric::Precision].left_out == 2);    // nothing predicted in 1 and 2
  CHECK(r[Metric::Sensitivity].left_out == 2);  // empty target in 1 and 3
  CHECK(r[Metric::Specificity].left_out == 1);  // no negatives in 4
  CHECK(r[Metric::HD].left_out == 0);
  CHECK(r[Metric::HD95].left_out == 0);
  CHECK(r[Metric::Dice].left_out == 0);
  CHECK(r.hd_one_empty == 2);
  CHECK(r.images[2].hd_one_empty);
  CHECK(r.images[3].hd_one_empty);
  CHECK_FALSE(r.images[1].hd_one_empty);
  CHECK(r.images[1][Metric::HD] == 0.0);
  CHECK(r.images[2][Metric::HD] == doctest::Approx(std::hypot(47.0, 63.0)));
  CHECK(r.band_width == 2);  // round(0.02 * sqrt(48^2 + 64^2)) = round(1.6)
}

TEST_CASE("hand-made case: a 3x3 square against itself shifted one pixel right") {
  std::vector<float> g(49, 0.0f), p(49, 0.0f);
  for (int y = 2; y <= 4; ++y)
    for (int x = 2; x <= 4; ++x) {
      g[size_t(y * 7 + x)] = 1.0f;
      p[size_t(y * 7 + x + 1)] = 1.0f;
    }
  const MetricsReport r = compute_metrics(Tensor::from_vector(p, {7, 7}), Tensor::from_vector(g, {7, 7}));
  REQUIRE(r.images.size() == 1);
  const ImageMetrics& m = r.images[0];
  CHECK(m.tp == 6);
  CHECK(m.fp == 3);
  CHECK(m.fn == 3);
  CHECK(m.tn == 37);
  CHECK(m[Metric::Dice] == doctest::Approx(12.0 / 18.0));
  CHECK(m[Metric::IoU] == doctest::Approx(6.0 / 12.0));
  CHECK(m[Metric::MIoU] == doctest::Approx(0.5 * (0.5 + 37.0 / 43.0)));
  CHECK(m[Metric::Accuracy] == doctest::Approx(43.0 / 49.0));
  // Each ring pixel is at most one pixel from the other ring.
  CHECK(m[Metric::HD] == 1.0);
  CHECK(m[Metric::HD95] == 1.0);
  // d = 1 on a 7x7 image: the bands are the 8-pixel rings; 4 ring pixels are shared.
  CHECK(r.band_width == 1);
  CHECK(m[Metric::BoundaryIoU] == doctest::Approx(4.0 / 12.0));
  CHECK(m[Metric::BoundaryDice] == doctest::Approx(8.0 / 16.0));
}

TEST_CASE("spacing scales Hausdorff distances, not the band metrics") {
  std::vector<float> g(64, 0.0f), p(64, 0.0f);
  g[size_t(2 * 8 + 2)] = 1.0f;
  p[size_t(5 * 8 + 6)] = 1.0f;  // 3 rows and 4 columns away
  const Tensor pt = Tensor::from_vector(p, {8, 8}), gt = Tensor::from_vector(g, {8, 8});
  MetricOptions o;
  CHECK(compute_metrics(pt, gt, o).images[0][Metric::HD] == 5.0);
  o.spacing_y = 2.0f;
  o.spacing_x = 0.5f;
  const MetricsReport r = compute_metrics(pt, gt, o);
  CHECK(r.images[0][Metric::HD] == doctest::Approx(std::sqrt(36.0 + 4.0)));
  CHECK(r.images[0][Metric::HD95] == doctest::Approx(std::sqrt(36.0 + 4.0)));
  CHECK(r.images[0][Metric::BoundaryIoU] == 0.0);
  // One empty: the diagonal in spacing units.
  const MetricsReport e = compute_metrics(Tensor::zeros({8, 8}), gt, o);
  CHECK(e.images[0].hd_one_empty);
  CHECK(e.images[0][Metric::HD] == doctest::Approx(std::hypot(7 * 2.0, 7 * 0.5)));
}

TEST_CASE("pred p >= threshold is foreground; uint8 masks and (N,1,H,W) are accepted") {
  const std::vector<float> p{0.49f, 0.5f, 0.51f, 1.0f}, g{0, 1, 1, 0};
  const ImageMetrics m = compute_metrics(Tensor::from_vector(p, {2, 2}), Tensor::from_vector(g, {2, 2})).images[0];
  CHECK(m.tp == 2);
  CHECK(m.fp == 1);
  CHECK(m.tn == 1);
  const std::vector<uint8_t> pu{0, 1, 1, 1};
  const ImageMetrics mu =
      compute_metrics(Tensor::from_data(pu.data(), {1, 1, 2, 2}), Tensor::from_vector(g, {1, 1, 2, 2})).images[0];
  CHECK(mu.value == m.value);
  MetricOptions o;
  o.threshold = 0.75f;
  CHECK(compute_metrics(Tensor::from_vector(p, {2, 2}), Tensor::from_vector(g, {2, 2}), o).images[0].tp == 0);
}

TEST_CASE("band width: 2% of the diagonal, rounded half to even, at least one pixel") {
  CHECK(boundary_band_width(256, 256, 0.02) == 7);  // 7.24
  CHECK(boundary_band_width(48, 64, 0.02) == 2);    // 1.6
  CHECK(boundary_band_width(3, 3, 0.02) == 1);      // 0.08, raised to 1
  CHECK(boundary_band_width(3, 4, 0.5) == 2);       // 2.5 -> 2 (Python's round)
  CHECK(boundary_band_width(3, 4, 0.7) == 4);       // 3.5 -> 4
}

TEST_CASE("metrics input errors are one line") {
  const Tensor ok = Tensor::zeros({2, 4, 4});
  CHECK(test::contains(test::error_of([&] {
                         compute_metrics(ok, Tensor::zeros({2, 4, 5}));
                       }),
                       "metrics: pred shape [2, 4, 4] and target shape [2, 4, 5] hold different images"));
  CHECK(test::contains(test::error_of([&] {
                         compute_metrics(ok, Tensor::full({2, 4, 4}, 0.5f));
                       }),
                       "metrics: target: mask values must be 0 or 1, found 0.5"));
  CHECK(test::contains(test::error_of([&] {
                         compute_metrics(Tensor::full({2, 4, 4}, 1.5f), ok);
                       }),
                       "metrics: pred values must be probabilities in [0, 1], found 1.5"));
  CHECK(test::contains(test::error_of([&] {
                         compute_metrics(Tensor::full({2, 4, 4}, std::nanf("")), ok);
                       }),
                       "metrics: pred values must be probabilities in [0, 1], found nan"));
  CHECK(test::contains(test::error_of([&] {
                         compute_metrics(Tensor::zeros({2, 4, 4}, DType::I32), ok);
                       }),
                       "metrics: pred must be float32 probabilities or a uint8 mask, got int32"));
  CHECK(test::contains(test::error_of([&] {
                         compute_metrics(Tensor::zeros({2, 3, 4, 4}), Tensor::zeros({2, 3, 4, 4}));
                       }),
                       "metrics: pred: expected a shape (H,W), (N,H,W) or (N,1,H,W)"));
  MetricOptions o;
  o.spacing_x = 0.0f;
  CHECK(test::contains(test::error_of([&] { compute_metrics(ok, ok, o); }), "metrics: pixel spacing must be positive"));
  o = {};
  o.threshold = 0.0f;
  CHECK(test::contains(test::error_of([&] { compute_metrics(ok, ok, o); }), "metrics: threshold must be in (0, 1]"));
  o = {};
  o.percentile = 101;
  CHECK(test::contains(test::error_of([&] { compute_metrics(ok, ok, o); }), "metrics: percentile must be in [0, 100]"));
}
