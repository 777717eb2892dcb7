// Per-patient evaluation rows (fbd eval --per patient, the run report's Table 2), checked by hand.
#include <doctest/doctest.h>

#include <cmath>

#include "apps/train/evaluate.h"
#include "tests/test_util.h"

using namespace fbd;
using namespace fbd::app;

namespace {

CaseMetrics slice(const std::string& id, int64_t tp, int64_t fp, int64_t fn, int64_t tn, double hd, double bdice,
                  bool one_empty = false) {
  CaseMetrics c;
  c.id = id;
  c.m.tp = tp, c.m.fp = fp, c.m.fn = fn, c.m.tn = tn;
  c.m.value.fill(NAN);
  c.m.value[size_t(Metric::Dice)] = 0.123;  // per-slice values the pooling must not average
  c.m.value[size_t(Metric::HD)] = hd;
  c.m.value[size_t(Metric::HD95)] = hd / 2;
  c.m.value[size_t(Metric::BoundaryDice)] = bdice;
  c.m.value[size_t(Metric::BoundaryIoU)] = bdice;
  c.m.hd_one_empty = one_empty;
  return c;
}

data::Dataset two_patients() {
  data::Dataset ds;
  for (const char* id : {"b_s0", "a_s0", "a_s1", "b_s1"}) {
    data::CaseEntry c;
    c.id = id;
    c.patient = std::string(id).substr(0, 1);
    ds.cases.push_back(c);
  }
  return ds;
}

}  // namespace

TEST_CASE("per-patient rows pool the overlap counts and average the distances, in data set order") {
  const data::Dataset ds = two_patients();
  // Patient b: 10 + 0 true positives, 2 + 4 false positives, 0 + 6 false negatives.
  // Patient a: a slice with nothing anywhere (HD 0, boundary Dice 1) and one with a miss.
  const std::vector<CaseMetrics> slices = {slice("b_s0", 10, 2, 0, 88, 3.0, 0.5), slice("a_s0", 0, 0, 0, 100, 0.0, 1.0),
                                           slice("a_s1", 0, 5, 7, 88, 14.0, NAN, true),
                                           slice("b_s1", 0, 4, 6, 90, 9.0, 0.25)};
  const std::vector<CaseMetrics> p = per_patient(slices, ds);
  REQUIRE(p.size() == 2);
  CHECK(p[0].id == "b");
  CHECK(p[1].id == "a");
  // b: TP 10, FP 6, FN 6, TN 178.
  CHECK(p[0].m.tp == 10);
  CHECK(p[0].m.tn == 178);
  CHECK(p[0].m[Metric::Dice] == doctest::Approx(20.0 / 32.0));
  CHECK(p[0].m[Metric::IoU] == doctest::Approx(10.0 / 22.0));
  CHECK(p[0].m[Metric::Precision] == doctest::Approx(10.0 / 16.0));
  CHECK(p[0].m[Metric::Sensitivity] == doctest::Approx(10.0 / 16.0));
  CHECK(p[0].m[Metric::Specificity] == doctest::Approx(178.0 / 184.0));
  CHECK(p[0].m[Metric::Accuracy] == doctest::Approx(188.0 / 200.0));
  CHECK(p[0].m[Metric::MIoU] == doctest::Approx((10.0 / 22.0 + 178.0 / 190.0) / 2));
  CHECK(p[0].m[Metric::HD] == doctest::Approx(6.0));
  CHECK(p[0].m[Metric::HD95] == doctest::Approx(3.0));
  CHECK(p[0].m[Metric::BoundaryDice] == doctest::Approx(0.375));
  CHECK_FALSE(p[0].m.hd_one_empty);
  // a: no tumour at all and nothing found on one slice, 5 false positives and 7 misses on the
  // other: Dice 0, precision 0, sensitivity 0; the undefined boundary Dice is left out.
  CHECK(p[1].m[Metric::Dice] == 0.0);
  CHECK(p[1].m[Metric::Precision] == 0.0);
  CHECK(p[1].m[Metric::Sensitivity] == 0.0);
  CHECK(p[1].m[Metric::HD] == doctest::Approx(7.0));
  CHECK(p[1].m[Metric::BoundaryDice] == doctest::Approx(1.0));
  CHECK(p[1].m.hd_one_empty);
}

TEST_CASE("per-patient rows: empty truth and prediction score 1, precision undefined; unknown cases are errors") {
  data::Dataset ds = two_patients();
  const std::vector<CaseMetrics> p = per_patient({slice("a_s0", 0, 0, 0, 100, 0.0, 1.0)}, ds);
  REQUIRE(p.size() == 1);
  CHECK(p[0].m[Metric::Dice] == 1.0);
  CHECK(p[0].m[Metric::IoU] == 1.0);
  CHECK(std::isnan(p[0].m[Metric::Precision]));
  CHECK(std::isnan(p[0].m[Metric::Sensitivity]));
  CHECK(p[0].m[Metric::Specificity] == 1.0);
  CHECK(test::contains(test::error_of([&] { per_patient({slice("z_s9", 1, 0, 0, 1, 0, 1)}, ds); }),
                       "z_s9: not a case of the data set"));
}
