// Instance normalisation on the CPU beyond the PyTorch goldens: hand-computed statistics, the
// affine transform, a constant plane, a plane with a large mean against a double-precision
// reference, independence of the thread count, the module (PyTorch's defaults and parameter
// names) and every argument error.
#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <cstring>

#include "core/autograd.h"
#include "core/ops.h"
#include "layers/layers.h"
#include "tests/test_util.h"

using namespace fbd;
using test::contains;
using test::error_of;

TEST_CASE("instance_norm2d: each (n, c) plane by its own mean and biased variance") {
  // Plane (0, 0) = 1, 2, 3, 4: mean 2.5, variance 1.25. Plane (0, 1) = 10, 10, 10, 10: constant.
  const Tensor x = Tensor::from_vector({1, 2, 3, 4, 10, 10, 10, 10}, {1, 2, 2, 2});
  const auto y = nn::instance_norm2d(x, Tensor(), Tensor()).to_vector();
  const double is = 1.0 / std::sqrt(1.25 + 1e-5);
  for (int i = 0; i < 4; ++i) CHECK(y[size_t(i)] == doctest::Approx((i + 1 - 2.5) * is).epsilon(1e-6));
  for (int i = 4; i < 8; ++i) CHECK(y[size_t(i)] == 0.0f);  // exactly: (x - mean) is 0
  // Affine: gamma scales and beta shifts per channel; the constant plane gives exactly beta.
  const Tensor g = Tensor::from_vector({2, 3}, {2}), b = Tensor::from_vector({0.5f, -1}, {2});
  const auto ya = nn::instance_norm2d(x, g, b, 1e-3f).to_vector();
  const double is3 = 1.0 / std::sqrt(1.25 + 1e-3);
  for (int i = 0; i < 4; ++i) CHECK(ya[size_t(i)] == doctest::Approx(2 * (i + 1 - 2.5) * is3 + 0.5).epsilon(1e-6));
  for (int i = 4; i < 8; ++i) CHECK(ya[size_t(i)] == -1.0f);
}

TEST_CASE("instance_norm2d: planes with a large mean keep their variance (shifted sums)") {
  // 10000 + u, u uniform in [-1, 1]: a plain sum of squares in float would lose the variance
  // (about 1/3) to cancellation against 1e8.
  const Tensor x = add_scalar(test::random_tensor({2, 3, 31, 33}, -1, 1, 3), 10000.0f);
  const auto y = nn::instance_norm2d(x, Tensor(), Tensor()).to_vector();
  const auto xv = x.to_vector();
  const int64_t M = 31 * 33;
  for (int64_t p = 0; p < 6; ++p) {
    double s = 0, ss = 0;
    for (int64_t i = 0; i < M; ++i) s += xv[size_t(p * M + i)];
    const double m = s / double(M);
    for (int64_t i = 0; i < M; ++i) ss += (xv[size_t(p * M + i)] - m) * (xv[size_t(p * M + i)] - m);
    const double is = 1.0 / std::sqrt(ss / double(M) + 1e-5);
    for (int64_t i = 0; i < M; i += 97) {
      // The mean is kept as a float near 1e4 (rounding up to 4.9e-4), so y = (x - mean) invstd is
      // good to ~4.9e-4 / 0.58 = 8.5e-4; a variance lost to cancellation would be off by O(1).
      CHECK(y[size_t(p * M + i)] == doctest::Approx((xv[size_t(p * M + i)] - m) * is).epsilon(1e-3).scale(1));
    }
  }
}

TEST_CASE("instance_norm2d: results do not depend on the number of threads") {
  // Planes of 150 x 120 = 18000 values: two chunks each (kernels/image_sums_cpu.h).
  const int saved = omp_get_max_threads();
  const Tensor x = test::random_tensor({2, 3, 150, 120}, -2, 3, 11), gy = test::random_tensor(x.shape(), -1, 1, 12);
  std::vector<float> runs[3];
  for (int t : {1, 2, 3}) {
    omp_set_num_threads(t);
    Tensor xr = x.clone().detach(), g = Tensor::from_vector({1.5f, 0.5f, -1}, {3}), b = Tensor::zeros({3});
    xr.requires_grad_(), g.requires_grad_(), b.requires_grad_();
    const Tensor y = nn::instance_norm2d(xr, g, b);
    y.backward(gy);
    for (const Tensor& r : {y, xr.grad(), g.grad(), b.grad()}) {
      const auto v = r.detach().to_vector();
      runs[t - 1].insert(runs[t - 1].end(), v.begin(), v.end());
    }
  }
  omp_set_num_threads(saved);
  CHECK(std::memcmp(runs[0].data(), runs[1].data(), runs[0].size() * 4) == 0);
  CHECK(std::memcmp(runs[0].data(), runs[2].data(), runs[0].size() * 4) == 0);
}

TEST_CASE("InstanceNorm2d module: PyTorch's defaults (no parameters, no buffers), affine parameter names") {
  nn::InstanceNorm2d plain(4);
  CHECK(plain.state_dict().empty());
  CHECK(!plain.affine());
  CHECK(plain.eps() == 1e-5f);
  const Tensor x = test::random_tensor({2, 4, 3, 5}, -1, 1, 20);
  // Training and eval mode normalise alike (no running statistics).
  const auto train = plain(x).to_vector();
  plain.eval();
  CHECK(plain(x).to_vector() == train);
  nn::InstanceNorm2d affine(4, 1e-3f, true);
  const auto named = affine.named_parameters();
  REQUIRE(named.size() == 2);
  CHECK(named[0].first == "weight");
  CHECK(named[1].first == "bias");
  CHECK(affine.weight().to_vector() == std::vector<float>(4, 1.0f));
  CHECK(affine.bias().to_vector() == std::vector<float>(4, 0.0f));
  test::check_close(nn::instance_norm2d(x, Tensor(), Tensor(), 1e-3f).to_vector(), affine(x).to_vector(), 0, 0,
                    "affine with the initial parameters");
}

TEST_CASE("instance_norm2d: bad arguments give one-line errors") {
  const Tensor x = Tensor::zeros({2, 3, 4, 4});
  CHECK(contains(error_of([] {
                   nn::instance_norm2d(Tensor::zeros({3, 4, 4}), Tensor(), Tensor());
                 }),
                 "instance_norm2d: expected input [N, C, H, W], got shape [3, 4, 4]"));
  CHECK(contains(error_of([] {
                   nn::instance_norm2d(Tensor::zeros({2, 3, 1, 1}), Tensor(), Tensor());
                 }),
                 "instance_norm2d: expected more than 1 value per plane, got input of shape [2, 3, 1, 1]"));
  CHECK(contains(error_of([&] { nn::instance_norm2d(x, Tensor::ones({4}), Tensor()); }),
                 "instance_norm2d: weight must have shape [3] (one per channel), got [4]"));
  CHECK(contains(error_of([&] {
                   nn::instance_norm2d(x, Tensor(), Tensor::ones({3, 1}));
                 }),
                 "instance_norm2d: bias must have shape [3] (one per channel), got [3, 1]"));
  CHECK(contains(error_of([&] { nn::instance_norm2d(x, Tensor(), Tensor(), 0.0f); }),
                 "instance_norm2d: eps must be > 0, got 0"));
  CHECK(contains(error_of([&] { nn::InstanceNorm2d(4)(x); }),
                 "InstanceNorm2d: expected 4 channels, got input of shape [2, 3, 4, 4]"));
  CHECK(contains(error_of([] { nn::InstanceNorm2d(0); }), "InstanceNorm2d: num_features must be positive, got 0"));
}
