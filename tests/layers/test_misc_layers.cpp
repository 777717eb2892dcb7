// Dropout, Linear, LeakyReLU / PReLU / ReLU / Sigmoid / Tanh modules, Flatten and channel
// Concat on the CPU: hand-worked values, statistics, determinism and errors.
#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <cstring>

#include "core/ops.h"
#include "layers/layers.h"
#include "tests/test_util.h"

using namespace fbd;
using test::contains;
using test::error_of;

TEST_CASE("dropout: the mask follows the Philox stream, kept values are scaled, eval is the identity") {
  const int64_t n = 40000;
  const Tensor x = Tensor::ones({n});
  Generator gen(123);
  const uint64_t offset = gen.offset();
  const std::vector<float> y = nn::dropout(x, 0.25f, true, gen).to_vector();
  CHECK(gen.offset() == offset + uint64_t((n + 3) / 4));  // consumed like any other fill of n values
  // Element i keeps iff the uniform a fill of n values from the same state gives it is >= p.
  Generator same(123);
  const std::vector<float> u = rand({n}, Device::cpu(), same).to_vector();
  int64_t kept = 0, wrong = 0;
  for (int64_t i = 0; i < n; ++i) {
    const bool keep = u[size_t(i)] >= 0.25f;
    wrong += y[size_t(i)] != (keep ? 1.0f / 0.75f : 0.0f);
    kept += keep;
  }
  CHECK(wrong == 0);
  // Binomial(40000, 0.75): standard deviation ~87.
  CHECK(std::llabs(kept - 30000) < 500);
  Generator g2(123);
  CHECK(nn::dropout(x, 0.25f, true, g2).to_vector() == y);  // same seed, same mask
  CHECK(nn::dropout(x, 0.25f, false, gen).impl_ptr() == x.impl_ptr());
  CHECK(nn::dropout(x, 1.0f, true, gen).to_vector() == std::vector<float>(size_t(n), 0.0f));
  nn::Dropout module(0.5f);
  module.eval();
  CHECK(module(x).impl_ptr() == x.impl_ptr());
  CHECK(contains(error_of([&] { nn::dropout(x, 1.5f, true); }), "dropout: probability must be in [0, 1], got 1.5"));
  CHECK(contains(error_of([] { nn::Dropout(-0.1f); }), "Dropout: probability must be in [0, 1]"));
}

TEST_CASE("linear: a hand-worked product, leading dimensions, module init") {
  const Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor w = Tensor::from_vector({1, 0, -1, 2, 1, 0}, {2, 3});
  const Tensor b = Tensor::from_vector({0.5f, -1}, {2});
  // Row 0: [1-3, 2+2] + b = [-1.5, 3]; row 1: [4-6, 8+5] + b = [-1.5, 12].
  CHECK(nn::linear(x, w, b).to_vector() == std::vector<float>{-1.5f, 3, -1.5f, 12});
  CHECK(nn::linear(Tensor::zeros({4, 2, 3}), w, Tensor()).shape() == Shape{4, 2, 2});
  // One row: the output starts as a copy of the bias, never the bias itself.
  const Tensor one = Tensor::from_vector({1, 2, 3}, {1, 3});
  CHECK(nn::linear(one, w, b).to_vector() == std::vector<float>{-1.5f, 3});
  CHECK(nn::linear(one, w, b).to_vector() == std::vector<float>{-1.5f, 3});
  CHECK(b.to_vector() == std::vector<float>{0.5f, -1});
  // A product large enough for the threaded GEMM path agrees with matmul.
  const Tensor xl = test::random_tensor({300, 200}, -1, 1, 1), wl = test::random_tensor({400, 200}, -1, 1, 2);
  test::check_close(matmul(xl, transpose2d(wl)).to_vector(), nn::linear(xl, wl, Tensor()).to_vector(), 1e-5, 1e-5,
                    "linear vs matmul");
  Generator gen(3);
  nn::Linear lin(16, 4, true, gen);
  for (float v : lin.weight().to_vector()) CHECK(std::fabs(v) <= 0.25f);  // 1/sqrt(16)
  CHECK(lin(Tensor::zeros({5, 16})).shape() == Shape{5, 4});
  CHECK(contains(error_of([&] {
                   nn::linear(Tensor::zeros({2, 4}), w, b);
                 }),
                 "linear: input of shape [2, 4] has 4 features but the weight [2, 3] expects 3"));
  CHECK(contains(error_of([&] { nn::linear(x, w, Tensor::zeros({3})); }), "linear: bias must have shape [2], got [3]"));
}

TEST_CASE("activations: LeakyReLU values and gradient at the kink, ReLU and Sigmoid modules") {
  Tensor x = Tensor::from_vector({-2, -0.0f, 0, 3}, {4});
  x.requires_grad_();
  const Tensor y = nn::LeakyReLU(0.1f)(x);
  CHECK(y.to_vector() == std::vector<float>{-0.2f, -0.0f, 0, 3});
  y.backward(Tensor::ones({4}));
  CHECK(x.grad().to_vector() == std::vector<float>{0.1f, 0.1f, 0.1f, 1});  // slope at 0, as PyTorch
  CHECK(nn::ReLU()(x).to_vector() == std::vector<float>{0, 0, 0, 3});
  CHECK(nn::Sigmoid()(Tensor::zeros({1})).item() == 0.5f);
}

TEST_CASE("prelu: one slope or one per channel, gradients of input and slopes by hand") {
  // x [2, 2, 1, 2]: channel 0 holds (-2, 1) and (3, -1), channel 1 (-4, 0) and (-0.5, 2).
  Tensor x = Tensor::from_vector({-2, 1, -4, 0, 3, -1, -0.5f, 2}, {2, 2, 1, 2});
  Tensor a = Tensor::from_vector({0.1f, 0.5f}, {2});
  x.requires_grad_(), a.requires_grad_();
  const Tensor y = nn::prelu(x, a);
  CHECK(y.to_vector() == std::vector<float>{-0.2f, 1, -2, 0, 3, -0.1f, -0.25f, 2});
  const Tensor gy = Tensor::from_vector({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 1, 2});
  y.backward(gy);
  // gx = gy where x > 0, a_c gy elsewhere (x = 0 takes the slope, as PyTorch).
  CHECK(x.grad().to_vector() == std::vector<float>{0.1f, 2, 1.5f, 2, 5, 0.6f, 3.5f, 8});
  // ga_c = sum of x gy where x <= 0: channel 0: -2*1 + -1*6 = -8; channel 1: -4*3 + 0*4 + -0.5*7 = -15.5.
  CHECK(a.grad().to_vector() == std::vector<float>{-8, -15.5f});
  // One shared slope: the sum over every channel, shape [1].
  Tensor x1 = x.detach().clone(), a1 = Tensor::from_vector({0.25f}, {1});
  x1.requires_grad_(), a1.requires_grad_();
  nn::prelu(x1, a1).backward(gy);
  CHECK(a1.grad().shape() == Shape{1});
  CHECK(a1.grad().item() == -23.5f);
  // Inputs of other ranks: [N, C] and [N] (no channel axis: one slope only).
  CHECK(nn::prelu(Tensor::from_vector({-1, 2, -3, 4}, {2, 2}), a).to_vector() ==
        std::vector<float>{-0.1f, 2, -0.3f, 4});
  CHECK(nn::prelu(Tensor::from_vector({-1, 2}, {2}), a1.detach()).to_vector() == std::vector<float>{-0.25f, 2});
}

TEST_CASE("PReLU module: PyTorch's parameter name, shape and initial value; errors") {
  nn::PReLU shared;
  const auto named = shared.named_parameters();
  REQUIRE(named.size() == 1);
  CHECK(named[0].first == "weight");
  CHECK(named[0].second.shape() == Shape{1});
  CHECK(named[0].second.item() == 0.25f);
  nn::PReLU per_channel(3, 0.1f);
  CHECK(per_channel.weight().to_vector() == std::vector<float>{0.1f, 0.1f, 0.1f});
  CHECK(per_channel(Tensor::full({2, 3, 2, 2}, -1.0f)).to_vector() == std::vector<float>(24, -0.1f));
  CHECK(contains(error_of([&] {
                   per_channel(Tensor::zeros({2, 4, 2, 2}));
                 }),
                 "prelu: weight must have shape [1] or [4] (one slope, or one per channel of the input [2, 4, 2, 2]), "
                 "got [3]"));
  CHECK(contains(error_of([] { nn::PReLU(0); }), "PReLU: num_parameters must be >= 1, got 0"));
  CHECK(contains(error_of([] { nn::prelu(Tensor::zeros({2, 2}), Tensor()); }), "prelu: weight undefined"));
  CHECK(contains(error_of([] {
                   nn::prelu(Tensor::zeros({2, 2}, DType::U8), Tensor::ones({1}));
                 }),
                 "prelu: expected a float32 tensor, got uint8"));
}

TEST_CASE("prelu backward: the slope gradient does not depend on the number of threads") {
  // Planes of 70000 values: several chunks per plane, chunks spread over the threads.
  const int saved = omp_get_max_threads();
  const Tensor x = test::random_tensor({2, 3, 200, 350}, -1, 1, 5), gy = test::random_tensor(x.shape(), -1, 1, 6);
  std::vector<float> runs[3];
  for (int t : {1, 2, 3}) {
    omp_set_num_threads(t);
    for (const Tensor& w : {Tensor::from_vector({0.2f, 0.3f, 0.4f}, {3}), Tensor::from_vector({0.2f}, {1})}) {
      Tensor xr = x.clone().detach(), wr = w.clone().detach();
      xr.requires_grad_(), wr.requires_grad_();
      nn::prelu(xr, wr).backward(gy);
      for (const Tensor& g : {xr.grad(), wr.grad()}) {
        const auto v = g.to_vector();
        runs[t - 1].insert(runs[t - 1].end(), v.begin(), v.end());
      }
    }
  }
  omp_set_num_threads(saved);
  CHECK(std::memcmp(runs[0].data(), runs[1].data(), runs[0].size() * 4) == 0);
  CHECK(std::memcmp(runs[0].data(), runs[2].data(), runs[0].size() * 4) == 0);
}

TEST_CASE("Tanh and Flatten modules") {
  Tensor x = Tensor::from_vector({-1, 0, 0.5f, 20}, {1, 4});
  x.requires_grad_();
  const Tensor y = nn::Tanh()(x);
  const std::vector<float> v = y.to_vector();
  CHECK(v[0] == doctest::Approx(std::tanh(-1.0)).epsilon(1e-7));
  CHECK(v[1] == 0.0f);
  CHECK(v[3] == 1.0f);
  y.backward(Tensor::ones({1, 4}));
  CHECK(x.grad().to_vector()[1] == 1.0f);  // 1 - tanh(0)^2
  CHECK(x.grad().to_vector()[3] == 0.0f);
  Tensor f = test::random_tensor({3, 4, 2, 5}, -1, 1, 7);
  f.requires_grad_();
  const Tensor flat = nn::Flatten()(f);
  CHECK(flat.shape() == Shape{3, 40});
  CHECK(flat.to_vector() == f.to_vector());
  CHECK(flat.impl_ptr() != f.impl_ptr());
  flat.backward(Tensor::ones({3, 40}));
  CHECK(f.grad().shape() == f.shape());
  CHECK(nn::flatten(Tensor::zeros({5, 7})).shape() == Shape{5, 7});
  CHECK(nn::flatten(Tensor::zeros({0, 2, 3})).shape() == Shape{0, 6});
  CHECK(contains(error_of([] { nn::flatten(Tensor::zeros({6})); }),
                 "flatten: expected input [N, ...] with at least 2 dimensions, got shape [6]"));
}

TEST_CASE("concat_channels: layout, module form, errors") {
  const Tensor a = Tensor::from_vector({1, 2, 3, 4}, {2, 1, 1, 2});
  const Tensor b = Tensor::from_vector({5, 6, 7, 8, 9, 10, 11, 12}, {2, 2, 1, 2});
  nn::Concat cat;
  CHECK(cat({a, b}).to_vector() == std::vector<float>{1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12});
  CHECK(contains(error_of([&] {
                   nn::concat_channels({a, Tensor::zeros({2, 1, 2, 2})});
                 }),
                 "concat_channels: input 1 has shape [2, 1, 2, 2] but input 0 has [2, 1, 1, 2]"));
  CHECK(contains(error_of([&] {
                   nn::concat_channels({a, Tensor::zeros({2, 2})});
                 }),
                 "concat_channels: input 1 has shape [2, 2], expected [N, C, H, W]"));
  CHECK(contains(error_of([&] { cat.forward(a); }), "Concat: this module has no one-input forward"));
}
