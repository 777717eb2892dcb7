// Forward values of the ops against hand-computed or loop-computed answers, and their errors.
#include <doctest/doctest.h>

#include <cmath>

#include "core/ops.h"
#include "tests/test_util.h"

using namespace fbd;
using test::contains;
using test::error_of;

TEST_CASE("binary ops broadcast per channel, NumPy style") {
  // x: [2, 3, 2, 2]; per-channel scale [1, 3, 1, 1] and a [3, 1, 1] bias (rank-aligned right).
  Tensor x = test::random_tensor({2, 3, 2, 2}, -1, 1, 1);
  Tensor scale = Tensor::from_vector({1, 2, 3}, {1, 3, 1, 1});
  Tensor bias = Tensor::from_vector({10, 20, 30}, {3, 1, 1});
  const auto xv = x.to_vector();
  const auto y = add(mul(x, scale), bias).to_vector();
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 3; ++c)
      for (int i = 0; i < 4; ++i) {
        const size_t k = size_t((n * 3 + c) * 4 + i);
        CHECK(y[k] == xv[k] * float(c + 1) + float(10 * (c + 1)));
      }
  CHECK(sub(Tensor::ones({2, 3}), Tensor::from_vector({1, 2, 3}, {3})).to_vector() ==
        std::vector<float>{0, -1, -2, 0, -1, -2});
  CHECK(div(Tensor::from_vector({2, 4}, {2, 1}), Tensor::from_vector({1, 2}, {1, 2})).to_vector() ==
        std::vector<float>{2, 1, 4, 2});
  CHECK(broadcast_shapes({5, 1, 4}, {3, 1}) == Shape{5, 3, 4});
  CHECK(contains(error_of([] {
                   add(Tensor::zeros({2, 3}), Tensor::zeros({4}));
                 }),
                 "shapes [2, 3] and [4] cannot be broadcast"));
  CHECK(contains(error_of([] { add(Tensor::zeros({2}), Tensor::zeros({2}, DType::U8)); }), "expected a float32"));
}

TEST_CASE("unary ops and scalar operators") {
  Tensor x = Tensor::from_vector({-2, -0.5f, 0, 0.5f, 2}, {5});
  CHECK(relu(x).to_vector() == std::vector<float>{0, 0, 0, 0.5f, 2});
  CHECK(abs(x).to_vector() == std::vector<float>{2, 0.5f, 0, 0.5f, 2});
  CHECK(neg(x).to_vector() == std::vector<float>{2, 0.5f, 0, -0.5f, -2});
  CHECK(clamp(x, -1, 1).to_vector() == std::vector<float>{-1, -0.5f, 0, 0.5f, 1});
  CHECK((x * 2.0f + 1.0f).to_vector() == std::vector<float>{-3, 0, 1, 2, 5});
  CHECK((1.0f - x).to_vector() == std::vector<float>{3, 1.5f, 1, 0.5f, -1});
  CHECK(pow(Tensor::from_vector({2, 3}, {2}), 2.0f).to_vector() == std::vector<float>{4, 9});
  CHECK(sqrt(Tensor::from_vector({4, 9}, {2})).to_vector() == std::vector<float>{2, 3});
  CHECK(std::fabs(exp(Tensor::scalar(1.0f)).item() - 2.7182818f) < 1e-6f);
  CHECK(std::fabs(log(Tensor::scalar(2.7182818f)).item() - 1.0f) < 1e-6f);
  CHECK(sigmoid(Tensor::scalar(0.0f)).item() == 0.5f);
  CHECK(contains(error_of([&] { clamp(x, 1, -1); }), "above upper bound"));
}

TEST_CASE("sums and means over all elements and over axes") {
  Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(sum(x).item() == 21.0f);
  CHECK(sum(x).shape().empty());
  CHECK(mean(x).item() == 3.5f);
  CHECK(sum(x, {0}).to_vector() == std::vector<float>{5, 7, 9});
  CHECK(sum(x, {1}).to_vector() == std::vector<float>{6, 15});
  CHECK(sum(x, {-1}, true).shape() == Shape{2, 1});
  CHECK(mean(x, {0}).to_vector() == std::vector<float>{2.5f, 3.5f, 4.5f});
  CHECK(contains(error_of([&] { sum(x, {2}); }), "axis 2 out of range"));
  CHECK(contains(error_of([&] { sum(x, {0, 0}); }), "given twice"));

  // Per-channel sum of [N, C, H, W] over {0, 2, 3}: two reduction passes.
  Tensor t = test::random_tensor({3, 4, 5, 6}, -1, 1, 5);
  const auto tv = t.to_vector();
  const auto per_channel = sum(t, {0, 2, 3}).to_vector();
  for (int c = 0; c < 4; ++c) {
    double s = 0;
    for (int n = 0; n < 3; ++n)
      for (int i = 0; i < 30; ++i) s += tv[size_t((n * 4 + c) * 30 + i)];
    CHECK(std::fabs(per_channel[size_t(c)] - s) < 1e-5);
  }
  CHECK(sum(t, {1, 3}, true).shape() == Shape{3, 1, 5, 1});
  CHECK(sum(Tensor::zeros({0, 3}), {0}).to_vector() == std::vector<float>{0, 0, 0});
  CHECK(contains(error_of([] { mean(Tensor::zeros({0, 3}), {0}); }), "empty set"));
}

TEST_CASE("matmul matches the triple loop") {
  const int64_t M = 5, K = 7, N = 3;
  Tensor a = test::random_tensor({M, K}, -1, 1, 10), b = test::random_tensor({K, N}, -1, 1, 11);
  const auto av = a.to_vector(), bv = b.to_vector(), cv = matmul(a, b).to_vector();
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k) s += double(av[size_t(i * K + k)]) * bv[size_t(k * N + j)];
      CHECK(std::fabs(cv[size_t(i * N + j)] - s) < 1e-5);
    }
  CHECK(contains(error_of([&] { matmul(a, a); }), "do not multiply"));
  CHECK(matmul(Tensor::zeros({2, 0}), Tensor::zeros({0, 3})).to_vector() == std::vector<float>(6, 0.0f));
}

TEST_CASE("concat, slice, broadcast_to, transpose2d and sum_to_shape") {
  Tensor a = Tensor::from_vector({1, 2, 3, 4}, {2, 2}), b = Tensor::from_vector({5, 6}, {2, 1});
  Tensor c = concat({a, b}, 1);
  CHECK(c.shape() == Shape{2, 3});
  CHECK(c.to_vector() == std::vector<float>{1, 2, 5, 3, 4, 6});
  CHECK(concat({a, a}, 0).to_vector() == std::vector<float>{1, 2, 3, 4, 1, 2, 3, 4});
  CHECK(slice(c, 1, 1, 3).to_vector() == std::vector<float>{2, 5, 4, 6});
  CHECK(slice(c, 0, 1, 2).to_vector() == std::vector<float>{3, 4, 6});
  CHECK(slice(c, 1, 2, 2).numel() == 0);
  CHECK(broadcast_to(b, {2, 3}).to_vector() == std::vector<float>{5, 5, 5, 6, 6, 6});
  CHECK(broadcast_to(Tensor::from_vector({1, 2}, {2}), {2, 2}).to_vector() == std::vector<float>{1, 2, 1, 2});
  CHECK(transpose2d(c).to_vector() == std::vector<float>{1, 3, 2, 4, 5, 6});
  CHECK(sum_to_shape(Tensor::ones({4, 2, 3}), {2, 1}).to_vector() == std::vector<float>{12, 12});
  CHECK(contains(error_of([&] { concat({a, Tensor::zeros({3, 1})}, 1); }), "differ outside axis"));
  CHECK(contains(error_of([&] { slice(c, 1, 2, 5); }), "out of bounds"));
  CHECK(contains(error_of([&] { broadcast_to(c, {3, 3}); }), "cannot be broadcast"));
  // uint8 masks can be sliced and concatenated too.
  const std::vector<uint8_t> m = {0, 1, 1, 0};
  Tensor mask = Tensor::from_data(m.data(), {2, 2});
  CHECK(slice(mask, 1, 1, 2).to_vector<uint8_t>() == std::vector<uint8_t>{1, 0});
}

TEST_CASE("reductions are bit-for-bit repeatable") {
  Tensor x = test::random_tensor({16, 1, 256, 256}, -1, 1, 3);
  const float first = sum(x).item();
  for (int i = 0; i < 3; ++i) CHECK(sum(x).item() == first);
}
