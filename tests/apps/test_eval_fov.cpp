// Evaluation options: the tumour-quadrant field of view and the clean-up of predictions.
#include <doctest/doctest.h>

#include "apps/train/evaluate.h"
#include "data/phantom.h"
#include "data/quadrants.h"
#include "tests/test_util.h"

using namespace fbd;
using namespace fbd::app;

namespace {

// A phantom slice whose "prediction" is its truth plus a false-positive blob in the quadrant
// diagonally opposite the tumour's, and a one-pixel false positive beside the tumour.
SlicePrediction predicted_slice() {
  data::PhantomOptions o;
  o.patients = 1, o.slices = 1, o.size = 128, o.seed = 3;
  const data::PhantomSlice s = data::synth_phantom(o).at(0);
  SlicePrediction p;
  p.id = s.id;
  p.image = s.image;
  p.mask = s.mask;
  p.prob = s.mask;
  const data::QuadrantLayout q = data::quadrant_layout(s.image);
  const std::vector<int> kept = data::tumour_quadrants(q, s.mask);
  REQUIRE(kept.size() == 1);
  const data::Rect far = q.rects[size_t((kept[0] == 1 ? 3 : kept[0] == 2 ? 4 : kept[0] == 3 ? 1 : 2) - 1)];
  for (int64_t y = 0; y < 6; ++y)
    for (int64_t x = 0; x < 6; ++x)
      p.prob.at(std::clamp<int64_t>(far.y + far.h / 2 + y, 0, 127),
                std::clamp<int64_t>(far.x + far.w / 2 + x, 0, 127)) = 1.0f;
  return p;
}

}  // namespace

TEST_CASE("the quadrant field of view scores the tumour's quadrant only; clean-up drops the stray blob") {
  const SlicePrediction p = predicted_slice();
  const CaseMetrics slice = evaluate_predictions({p}).at(0);
  EvalOptions quadrant;
  quadrant.fov = "quadrant";
  const CaseMetrics quad = evaluate_predictions({p}, quadrant).at(0);
  // The blob is outside the tumour's quadrant: a perfect score there, not on the whole slice.
  CHECK(slice.m[Metric::Precision] < 1.0);
  CHECK(quad.m[Metric::Precision] == 1.0);
  CHECK(quad.m[Metric::Dice] == 1.0);
  CHECK(quad.m.tp == slice.m.tp);
  // A quadrant has about a quarter of the slice's pixels, so its background counts fewer.
  const int64_t slice_px = slice.m.tp + slice.m.fp + slice.m.fn + slice.m.tn;
  const int64_t quad_px = quad.m.tp + quad.m.fp + quad.m.fn + quad.m.tn;
  CHECK(quad_px * 3 < slice_px);
  CHECK(quad_px * 5 > slice_px);
  // Keeping the largest component (the tumour, larger than the 36-pixel blob) removes the blob
  // (and any detached spicule of the tumour: precision 1, Dice near 1).
  EvalOptions largest;
  largest.largest = true;
  const CaseMetrics cleaned = evaluate_predictions({p}, largest).at(0);
  CHECK(cleaned.m[Metric::Precision] == 1.0);
  CHECK(cleaned.m[Metric::Dice] > slice.m[Metric::Dice]);
  EvalOptions bad;
  bad.fov = "breast";
  CHECK(test::contains(test::error_of([&] { evaluate_predictions({p}, bad); }), "--fov must be slice or quadrant"));
}
