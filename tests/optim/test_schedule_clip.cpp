// Learning-rate schedules (values at chosen steps, worked by hand) and clipping by global norm.
#include <doctest/doctest.h>

#include <cmath>

#include "core/ops.h"
#include "optim/optim.h"
#include "tests/test_util.h"

using namespace fbd;
using namespace fbd::optim;
using test::contains;
using test::error_of;

TEST_CASE("schedules: step, cosine with warm-up, poly") {
  const StepLR step(0.1, 10, 0.5);
  CHECK(step.lr_at(0) == doctest::Approx(0.1));
  CHECK(step.lr_at(9) == doctest::Approx(0.1));
  CHECK(step.lr_at(10) == doctest::Approx(0.05));
  CHECK(step.lr_at(35) == doctest::Approx(0.0125));

  const CosineWarmupLR cos(1.0, 4, 104, 0.1);
  CHECK(cos.lr_at(0) == doctest::Approx(0.25));
  CHECK(cos.lr_at(3) == doctest::Approx(1.0));
  CHECK(cos.lr_at(4) == doctest::Approx(1.0));               // progress 0
  CHECK(cos.lr_at(54) == doctest::Approx(0.1 + 0.9 * 0.5));  // halfway: cos(pi/2) = 0
  CHECK(cos.lr_at(104) == doctest::Approx(0.1));
  CHECK(cos.lr_at(500) == doctest::Approx(0.1));  // clamped after the end

  const PolyLR poly(0.01, 100, 0.9);
  CHECK(poly.lr_at(0) == doctest::Approx(0.01));
  CHECK(poly.lr_at(50) == doctest::Approx(0.01 * std::pow(0.5, 0.9)));
  CHECK(poly.lr_at(100) == doctest::Approx(0.0));
  CHECK(poly.lr_at(150) == doctest::Approx(0.0));

  Tensor p = Tensor::zeros({1});
  p.requires_grad_();
  SGD sgd({{"p", p}}, SgdOptions{});
  cos.apply(sgd, 54);
  CHECK(sgd.lr() == doctest::Approx(0.55));
  CHECK(contains(error_of([] { CosineWarmupLR(1.0, 10, 5); }),
                 "CosineWarmupLR: need 0 <= warmup (10) < total steps (5)"));
  CHECK(contains(error_of([] { StepLR(0.1, 0); }), "StepLR: step_size must be > 0"));
  CHECK(contains(error_of([&] { step.lr_at(-1); }), "StepLR: negative step -1"));
}

TEST_CASE("clip_grad_norm_: global norm over all gradients, scaled only above the limit") {
  Tensor a = Tensor::zeros({2}), b = Tensor::zeros({1}), c = Tensor::zeros({3});
  for (Tensor* t : {&a, &b, &c}) t->requires_grad_();
  a.impl_ptr()->grad = Tensor::from_vector({3, 0}, {2}).impl_shared();
  b.impl_ptr()->grad = Tensor::from_vector({4}, {1}).impl_shared();  // c has no gradient
  // Global norm 5; limit 1 scales by 1 / (5 + 1e-6).
  CHECK(clip_grad_norm_(std::vector<Tensor>{a, b, c}, 1.0) == doctest::Approx(5.0));
  CHECK(a.grad().to_vector()[0] == doctest::Approx(0.6).epsilon(1e-5));
  CHECK(b.grad().to_vector()[0] == doctest::Approx(0.8).epsilon(1e-5));
  CHECK(!c.grad().defined());
  // Under the limit: unchanged.
  const auto before = a.grad().to_vector();
  CHECK(clip_grad_norm_(std::vector<Tensor>{a, b}, 10.0) == doctest::Approx(1.0).epsilon(1e-5));
  CHECK(a.grad().to_vector() == before);
  // A NaN gradient: the norm says so and nothing is scaled.
  b.impl_ptr()->grad = Tensor::from_vector({NAN}, {1}).impl_shared();
  CHECK(std::isnan(clip_grad_norm_(std::vector<Tensor>{a, b}, 1.0)));
  CHECK(a.grad().to_vector() == before);
  CHECK(contains(error_of([&] { clip_grad_norm_(std::vector<Tensor>{a}, 0.0); }),
                 "clip_grad_norm_: max_norm must be finite and > 0"));
}
