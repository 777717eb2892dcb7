// Dropout, Linear, LeakyReLU / ReLU / Sigmoid modules and channel Concat on the CPU:
// hand-worked values, statistics, determinism and errors.
#include <doctest/doctest.h>

#include <cmath>

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
