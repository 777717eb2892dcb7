// Pooling and bilinear upsampling on the CPU beyond the PyTorch goldens: hand-worked values,
// padding and NaN behaviour, the 31x31 structure-loss window against a direct sum, modules and
// errors.
#include <doctest/doctest.h>

#include <cmath>

#include "core/ops.h"
#include "layers/layers.h"
#include "tests/test_util.h"

using namespace fbd;
using test::contains;
using test::error_of;

TEST_CASE("max_pool2d: values, argmax gradient, padding as -inf, NaN propagation") {
  Tensor x = Tensor::from_vector({1, 5, 2, 0, 3, 4, -1, 8, 7, 6, 9, 2, 0, 1, 3, 4}, {1, 1, 4, 4});
  x.requires_grad_();
  const Tensor y = nn::max_pool2d(x, nn::PoolParams::square(2));
  CHECK(y.to_vector() == std::vector<float>{5, 8, 7, 9});
  y.backward(Tensor::from_vector({1, 2, 3, 4}, {1, 1, 2, 2}));
  CHECK(x.grad().to_vector() == std::vector<float>{0, 1, 0, 0, 0, 0, 0, 2, 3, 0, 4, 0, 0, 0, 0, 0});
  // Padding never wins, even against negative values.
  const Tensor neg = Tensor::full({1, 1, 2, 2}, -5.0f);
  CHECK(nn::max_pool2d(neg, nn::PoolParams::square(3, 1, 1)).to_vector() == std::vector<float>{-5, -5, -5, -5});
  const Tensor nan = Tensor::from_vector({1, NAN, 2, 3}, {1, 1, 2, 2});
  CHECK(std::isnan(nn::max_pool2d(nan, nn::PoolParams::square(2)).item()));
}

TEST_CASE("avg_pool2d: count_include_pad both ways on a hand-worked corner") {
  const Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  // 3x3 window, stride 1, pad 1. Top-left output: (1+2+4+5) / 9 with padding counted, / 4 without.
  const auto with = nn::avg_pool2d(x, nn::PoolParams::square(3, 1, 1, true)).to_vector();
  const auto without = nn::avg_pool2d(x, nn::PoolParams::square(3, 1, 1, false)).to_vector();
  CHECK(with[0] == doctest::Approx(12.0 / 9));
  CHECK(without[0] == doctest::Approx(3.0));
  CHECK(with[4] == doctest::Approx(5.0));
  CHECK(without[4] == doctest::Approx(5.0));
}

TEST_CASE("avg_pool2d: the structure loss's 31x31 / stride 1 / pad 15 window equals a direct sum / 961") {
  const Tensor x = test::random_tensor({2, 1, 37, 45}, 0, 1, 3);
  const auto y = nn::avg_pool2d(x, nn::PoolParams::square(31, 1, 15, true)).to_vector();
  const auto xv = x.to_vector();
  REQUIRE(y.size() == xv.size());
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t h = 0; h < 37; h += 6)
      for (int64_t w = 0; w < 45; w += 7) {
        double s = 0;
        for (int64_t i = h - 15; i <= h + 15; ++i)
          for (int64_t j = w - 15; j <= w + 15; ++j)
            if (i >= 0 && i < 37 && j >= 0 && j < 45) s += xv[size_t((n * 37 + i) * 45 + j)];
        CHECK(y[size_t((n * 37 + h) * 45 + w)] == doctest::Approx(s / 961.0).epsilon(1e-5));
      }
}

TEST_CASE("upsample_bilinear: hand-worked values for both align_corners") {
  const Tensor x = Tensor::from_vector({0, 1}, {1, 1, 1, 2});
  // align_corners=true, 2 -> 3: src = 0, 0.5, 1.
  CHECK(nn::upsample_bilinear(x, nn::UpsampleOptions::size(1, 3, true)).to_vector() == std::vector<float>{0, 0.5f, 1});
  // align_corners=false, 2 -> 4: src = max(0, (o + 0.5)/2 - 0.5) = 0, 0.25, 0.75, 1.25 -> clamped at the edge.
  CHECK(nn::upsample_bilinear(x, nn::UpsampleOptions::size(1, 4, false)).to_vector() ==
        std::vector<float>{0, 0.25f, 0.75f, 1});
  // Identity size is the identity.
  const Tensor r = test::random_tensor({2, 3, 4, 5}, -1, 1, 4);
  CHECK(nn::upsample_bilinear(r, nn::UpsampleOptions::size(4, 5)).to_vector() == r.to_vector());
  CHECK(nn::Upsample(nn::UpsampleOptions::scale(2.5))(r).shape() == Shape{2, 3, 10, 12});
}

TEST_CASE("pooling and upsampling: bad arguments give one-line errors") {
  const Tensor x = Tensor::zeros({1, 2, 5, 5});
  CHECK(contains(error_of([&] { nn::max_pool2d(x, nn::PoolParams::square(3, 1, 2)); }),
                 "max_pool2d: padding 2x2 must be >= 0 and at most half the kernel 3x3"));
  CHECK(contains(error_of([&] { nn::avg_pool2d(x, nn::PoolParams::square(7)); }),
                 "avg_pool2d: input 5x5 (padded 5x5) is smaller than the kernel 7x7"));
  CHECK(contains(error_of([&] {
                   nn::max_pool2d(Tensor::zeros({2, 5, 5}), nn::PoolParams::square(2));
                 }),
                 "max_pool2d: expected input [N, C, H, W], got shape [2, 5, 5]"));
  CHECK(contains(error_of([&] { nn::upsample_bilinear(x, nn::UpsampleOptions::scale(0.1)); }),
                 "upsample_bilinear: scale factors 0.1x0.1 give an empty output from 5x5"));
  CHECK(contains(error_of([&] { nn::upsample_bilinear(x, nn::UpsampleOptions::scale(-1.0)); }),
                 "upsample_bilinear: give a target size or positive scale factors"));
  CHECK(contains(error_of([&] { nn::upsample_bilinear(x, nn::UpsampleOptions::size(3, 0)); }),
                 "upsample_bilinear: target size must be positive, got 3x0"));
}
