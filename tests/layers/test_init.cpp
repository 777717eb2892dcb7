// Weight initialisation: PyTorch's fan and gain definitions (known answers), the bounds and
// spreads of the four initialisers on large tensors, and reproducibility from a seed.
//
// Statistical tolerance: for n = 2^18 samples the standard error of the sample standard
// deviation is std / sqrt(2n) ~ 0.14 % of std; we allow 1 %.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "layers/init.h"
#include "tests/test_util.h"

using namespace fbd;
using namespace fbd::nn::init;

namespace {
double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, double(std::fabs(x)));
  return m;
}

double sample_std(const std::vector<float>& v) {
  double s = 0, ss = 0;
  for (float x : v) s += x, ss += double(x) * x;
  const double m = s / double(v.size());
  return std::sqrt(ss / double(v.size()) - m * m);
}
}  // namespace

TEST_CASE("init: fans and gains as PyTorch defines them") {
  CHECK(fan_in_and_fan_out({64, 32, 3, 3}) == std::pair<int64_t, int64_t>{288, 576});
  CHECK(fan_in_and_fan_out({10, 20}) == std::pair<int64_t, int64_t>{20, 10});
  CHECK(fan_in_and_fan_out({8, 4, 2, 2}) == std::pair<int64_t, int64_t>{16, 32});  // ConvTranspose2d's [in, out, ..]
  CHECK(calculate_gain(Nonlinearity::Relu) == doctest::Approx(std::sqrt(2.0)));
  CHECK(calculate_gain(Nonlinearity::LeakyRelu) == doctest::Approx(std::sqrt(2.0 / (1 + 1e-4))));
  CHECK(calculate_gain(Nonlinearity::LeakyRelu, 0.2) == doctest::Approx(std::sqrt(2.0 / 1.04)));
  CHECK(calculate_gain(Nonlinearity::Tanh) == doctest::Approx(5.0 / 3));
  CHECK(calculate_gain(Nonlinearity::Selu) == doctest::Approx(0.75));
  CHECK(calculate_gain(Nonlinearity::Sigmoid) == 1.0);
  CHECK(test::contains(test::error_of([] { fan_in_and_fan_out({5}); }), "need a tensor of at least 2 dimensions"));
}

TEST_CASE("init: kaiming and xavier, uniform and normal, have PyTorch's bounds and spreads") {
  const Shape s{256, 64, 4, 4};  // fan_in 1024, fan_out 4096, 2^18 values
  Generator gen(1);
  Tensor w = Tensor::empty(s);

  kaiming_uniform_(w, gen, 0.0, FanMode::FanIn, Nonlinearity::Relu);
  const double bk = std::sqrt(2.0) * std::sqrt(3.0 / 1024);
  auto v = w.to_vector();
  CHECK(max_abs(v) <= bk);
  CHECK(max_abs(v) > 0.99 * bk);  // and it reaches the bound
  CHECK(sample_std(v) == doctest::Approx(bk / std::sqrt(3.0)).epsilon(0.01));

  kaiming_normal_(w, gen, 0.0, FanMode::FanOut, Nonlinearity::Relu);
  CHECK(sample_std(w.to_vector()) == doctest::Approx(std::sqrt(2.0) / std::sqrt(4096.0)).epsilon(0.01));

  xavier_uniform_(w, gen, 2.0);
  const double bx = 2.0 * std::sqrt(6.0 / (1024 + 4096));
  v = w.to_vector();
  CHECK(max_abs(v) <= bx);
  CHECK(max_abs(v) > 0.99 * bx);
  CHECK(sample_std(v) == doctest::Approx(bx / std::sqrt(3.0)).epsilon(0.01));

  xavier_normal_(w, gen);
  CHECK(sample_std(w.to_vector()) == doctest::Approx(std::sqrt(2.0 / (1024 + 4096))).epsilon(0.01));
}

TEST_CASE("init: the same seed gives the same weights") {
  Generator a(42), b(42), c(43);
  Tensor x = Tensor::empty({16, 8, 3, 3}), y = Tensor::empty({16, 8, 3, 3}), z = Tensor::empty({16, 8, 3, 3});
  kaiming_normal_(x, a);
  kaiming_normal_(y, b);
  kaiming_normal_(z, c);
  CHECK(x.to_vector() == y.to_vector());
  CHECK(x.to_vector() != z.to_vector());
}
