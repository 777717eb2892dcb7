// cross_entropy_loss (kernels/cross_entropy) on the CPU: hand-worked values, PyTorch's values
// and gradients (nn.CrossEntropyLoss, with and without label smoothing, logits spread over 60
// units, K = 2 and K = 10: tests/reference/make_layer_fixtures.py), the finite-difference
// check, label dtypes, saturated logits, thread-count independence and every input error.
//
// Golden tolerance: |fbd - torch| <= 2e-6 + 2e-5 |torch| for the value, 1e-7 + 1e-4 |torch| +
// 1e-6 max |torch| for the gradient. Both compute in float32: lse to a few ulp of max |z|
// (up to 30 here, so ~1e-5 absolute at worst, 2e-5 relative of a loss of that size), and the
// gradient as exp(z - lse) - q, a difference of numbers <= 1 whose exp is within 2 ulp on each
// side; a wrong target weight or a missing 1/N is off by O(1).
#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <cstring>

#include "core/autograd.h"
#include "core/npy.h"
#include "core/ops.h"
#include "losses/losses.h"
#include "tests/losses/loss_test_util.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;
using test::contains;
using test::error_of;

namespace {

Tensor ce_fixture(const std::string& name, const std::string& what) {
  return read_npy(test::fixture("layers/" + name + "." + what + ".npy"));
}

// The golden case NAME: logits x, labels, label smoothing s, the upstream gradient gy; the
// value y and the logits' gradient gx from PyTorch.
void golden(const std::string& name, float smoothing) {
  INFO("golden " << name);
  Tensor z = ce_fixture(name, "x");
  z.requires_grad_();
  const Tensor labels = ce_fixture(name, "labels");
  const Tensor L = cross_entropy_loss(z, labels, smoothing);
  const float gy = ce_fixture(name, "gy").to_vector()[0];
  L.backward(Tensor::from_vector({gy}, {}));
  test::check_values(name + " value", ce_fixture(name, "y").to_vector(), {L.item()}, 2e-6, 2e-5);
  test::check_values(name + " gradient", ce_fixture(name, "gx").to_vector(), z.grad().to_vector(), 1e-7, 1e-4);
}

}  // namespace

TEST_CASE("cross_entropy_loss: hand-worked values and gradients") {
  // Two equal logits: p = 1/2, loss log 2, gradient (1/2 - 1, 1/2) / N.
  Tensor z = Tensor::zeros({1, 2});
  z.requires_grad_();
  const Tensor L = cross_entropy_loss(z, Tensor::from_vector({0}, {1}));
  CHECK(L.shape() == Shape{});
  CHECK(L.item() == doctest::Approx(std::log(2.0)).epsilon(1e-7));
  L.backward();
  CHECK(z.grad().to_vector() == std::vector<float>{-0.5f, 0.5f});
  // Two samples, K = 3, logits (0, ln 2, ln 3) and (5, 5, 5): p = (1, 2, 3) / 6 and (1, 1, 1) / 3.
  // Labels 2 and 0: loss (log(6/3) + log 3) / 2; the gradient (p - onehot) / 2.
  const float l2 = std::log(2.0f), l3 = std::log(3.0f);
  Tensor z2 = Tensor::from_vector({0, l2, l3, 5, 5, 5}, {2, 3});
  z2.requires_grad_();
  const Tensor L2 = cross_entropy_loss(z2, Tensor::from_vector({2, 0}, {2}));
  CHECK(L2.item() == doctest::Approx((std::log(2.0) + std::log(3.0)) / 2).epsilon(1e-6));
  L2.backward();
  const std::vector<float> want = {1.0f / 12, 2.0f / 12, (3.0f / 6 - 1) / 2, (1.0f / 3 - 1) / 2, 1.0f / 6, 1.0f / 6};
  test::check_close(want, z2.grad().to_vector(), 1e-7, 1e-6, "gradient");
  // Label smoothing s over K classes: the target is (1 - s) onehot + s / K. With equal logits the
  // loss is log K whatever the target, and the gradient p - q = 1/K - q.
  Tensor z3 = Tensor::zeros({1, 4});
  z3.requires_grad_();
  const Tensor L3 = cross_entropy_loss(z3, Tensor::from_vector({1}, {1}), 0.2f);
  CHECK(L3.item() == doctest::Approx(std::log(4.0)).epsilon(1e-6));
  L3.backward();
  // q = (0.05, 0.85, 0.05, 0.05), p = 1/4.
  test::check_close({0.2f, -0.6f, 0.2f, 0.2f}, z3.grad().to_vector(), 1e-7, 1e-6, "smoothed gradient");
}

TEST_CASE("cross_entropy_loss: matches PyTorch's nn.CrossEntropyLoss, value and gradient") {
  golden("ce_plain", 0.0f);
  golden("ce_smooth", 0.1f);
  golden("ce_wide", 0.0f);
  golden("ce_binary", 0.05f);
}

TEST_CASE("cross_entropy_loss: finite differences") {
  const Tensor z = test::random_tensor({4, 5}, -3, 3, 1);
  const Tensor y = Tensor::from_vector({0, 4, 2, 2}, {4});
  test::loss_gradcheck(
      "cross_entropy", [&](const Tensor& x) { return cross_entropy_loss(x, y); }, z);
  test::loss_gradcheck(
      "cross_entropy smoothed", [&](const Tensor& x) { return cross_entropy_loss(x, y, 0.3f); }, z);
}

TEST_CASE("cross_entropy_loss: labels as float32, int32 and uint8 give the same loss; saturated logits stay finite") {
  const Tensor z = test::random_tensor({3, 4}, -2, 2, 2);
  const float f = cross_entropy_loss(z, Tensor::from_vector({3, 0, 1}, {3})).item();
  CHECK(cross_entropy_loss(z, Tensor::from_vector({3, 0, 1}, {3}).to_dtype(DType::I32)).item() == f);
  CHECK(cross_entropy_loss(z, Tensor::from_vector({3, 0, 1}, {3}).to_dtype(DType::U8)).item() == f);
  // A logit gap of 200: p_y = e^-200 underflows to 0 in float, but the loss is exactly the gap.
  Tensor big = Tensor::from_vector({100, -100, -100, 100}, {2, 2});
  big.requires_grad_();
  const Tensor L = cross_entropy_loss(big, Tensor::from_vector({1, 0}, {2}));
  CHECK(L.item() == 200.0f);
  L.backward();
  CHECK(big.grad().to_vector() == std::vector<float>{0.5f, -0.5f, -0.5f, 0.5f});
  // And the well-classified case: loss 0, gradient 0.
  CHECK(cross_entropy_loss(big.detach(), Tensor::from_vector({0, 1}, {2})).item() == 0.0f);
}

TEST_CASE("cross_entropy_loss: results do not depend on the number of threads") {
  const int saved = omp_get_max_threads();
  const Tensor z = test::random_tensor({300, 200}, -4, 4, 3);
  std::vector<float> labels(300);
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = float((i * 37) % 200);
  const Tensor y = Tensor::from_vector(labels, {300});
  std::vector<float> runs[3];
  for (int t : {1, 2, 3}) {
    omp_set_num_threads(t);
    Tensor zr = z.clone().detach();
    zr.requires_grad_();
    const Tensor L = cross_entropy_loss(zr, y, 0.1f);
    L.backward();
    runs[t - 1] = zr.grad().to_vector();
    runs[t - 1].push_back(L.item());
  }
  omp_set_num_threads(saved);
  CHECK(std::memcmp(runs[0].data(), runs[1].data(), runs[0].size() * 4) == 0);
  CHECK(std::memcmp(runs[0].data(), runs[2].data(), runs[0].size() * 4) == 0);
}

TEST_CASE("cross_entropy_loss: rows longer than the CPU kernel's eight lanes, with a tail") {
  // K = 19: two blocks of eight lanes and a tail of three. The row maximum sits in the tail of
  // one row and in a lane of the other; the loss is checked against a double-precision sum.
  const int64_t K = 19;
  std::vector<float> zv(2 * K);
  for (int64_t k = 0; k < K; ++k) {
    zv[size_t(k)] = 0.1f * float(k % 7) - 0.3f;
    zv[size_t(K + k)] = -0.05f * float(k);
  }
  zv[size_t(K - 1)] = 4.0f;  // row 0: the maximum in the tail
  zv[size_t(K + 5)] = 3.0f;  // row 1: the maximum in lane 5
  const std::vector<float> labels = {17, 5};
  double expect = 0.0;
  for (int64_t i = 0; i < 2; ++i) {
    double se = 0.0;
    for (int64_t k = 0; k < K; ++k) se += std::exp(double(zv[size_t(i * K + k)]));
    expect += std::log(se) - double(zv[size_t(i * K + int64_t(labels[size_t(i)]))]);
  }
  expect /= 2.0;
  CHECK(cross_entropy_loss(Tensor::from_vector(zv, {2, K}), Tensor::from_vector(labels, {2})).item() ==
        doctest::Approx(expect).epsilon(1e-6));
  // A NaN in a lane (not the tail) is still found and named.
  zv[size_t(K + 3)] = NAN;
  CHECK(contains(error_of([&] {
                   cross_entropy_loss(Tensor::from_vector(zv, {2, K}), Tensor::from_vector(labels, {2}));
                 }),
                 "logits must be finite, found nan at index 22"));
}

TEST_CASE("cross_entropy_loss: bad input gives a one-line error naming the value and its index") {
  const Tensor z = test::random_tensor({3, 4}, -1, 1, 4), y = Tensor::from_vector({0, 1, 3}, {3});
  auto starts = [](const std::string& msg, const std::string& head) { return msg.rfind(head, 0) == 0; };
  std::vector<float> zn = z.to_vector();
  zn[7] = NAN;
  CHECK(starts(error_of([&] {
                 cross_entropy_loss(Tensor::from_vector(zn, {3, 4}), y);
               }),
               "cross_entropy_loss: logits must be finite, found nan at index 7"));
  zn[7] = -INFINITY;
  CHECK(contains(error_of([&] {
                   cross_entropy_loss(Tensor::from_vector(zn, {3, 4}), y);
                 }),
                 "logits must be finite, found -inf at index 7"));
  CHECK(starts(error_of([&] {
                 cross_entropy_loss(z, Tensor::from_vector({0, 4, 1}, {3}));
               }),
               "cross_entropy_loss: labels must be class indices 0..3, found 4 at index 1"));
  CHECK(contains(error_of([&] {
                   cross_entropy_loss(z, Tensor::from_vector({0, 1, -1}, {3}));
                 }),
                 "labels must be class indices 0..3, found -1 at index 2"));
  CHECK(contains(error_of([&] {
                   cross_entropy_loss(z, Tensor::from_vector({0.5f, 1, 1}, {3}));
                 }),
                 "labels must be class indices 0..3, found 0.5 at index 0"));
  CHECK(contains(error_of([&] {
                   cross_entropy_loss(z, Tensor::from_vector({0, 1, 9}, {3}).to_dtype(DType::U8));
                 }),
                 "labels must be class indices 0..3, found 9 at index 2"));
  CHECK(starts(error_of([&] {
                 cross_entropy_loss(z, Tensor::from_vector({0, 1}, {2}));
               }),
               "cross_entropy_loss: labels must be [3] (one class index per row of the logits [3, 4]), got [2]"));
  CHECK(contains(error_of([&] {
                   cross_entropy_loss(z.reshape({3, 4, 1}), y);
                 }),
                 "cross_entropy_loss: logits must be [N, K] (one row of class scores per sample), got [3, 4, 1]"));
  CHECK(contains(error_of([&] {
                   cross_entropy_loss(Tensor::zeros({3, 1}), y);
                 }),
                 "cross_entropy_loss: at least 2 classes needed, got logits [3, 1]"));
  CHECK(contains(error_of([&] { cross_entropy_loss(z, y, 1.5f); }),
                 "cross_entropy_loss: label_smoothing must be in [0, 1], got 1.5"));
  CHECK(contains(error_of([&] {
                   cross_entropy_loss(z, Tensor::from_vector({0, 1, 3}, {3, 1}));
                 }),
                 "labels must be [3]"));
  CHECK(contains(error_of([&] { cross_entropy_loss(z.to_dtype(DType::U8), y); }),
                 "cross_entropy_loss: logits must be float32, got uint8"));
  // With the checks off the loss is NaN instead, and nothing is read outside the row.
  set_loss_input_checks(false);
  CHECK(std::isnan(cross_entropy_loss(z, Tensor::from_vector({0, 4, 1}, {3})).item()));
  set_loss_input_checks(true);
}
