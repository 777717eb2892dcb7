// Every differentiable op, forward and backward, on CUDA against the same op on the CPU:
// exercises the dispatch, broadcasting, multi-pass reductions, cuBLAS and autograd on device.
#include <doctest/doctest.h>

#include <functional>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/rng.h"
#include "tests/gpu/gpu_util.h"
#include "tests/test_util.h"

using namespace fbd;

namespace {

using test::parity;

Tensor R(const Shape& s, float lo, float hi, uint64_t seed) { return test::random_tensor(s, lo, hi, seed); }

}  // namespace

TEST_CASE("op parity: elementwise with broadcasting") {
  const Shape img{4, 8, 33, 17}, ch{1, 8, 1, 1};
  // +, -, * and / are single IEEE operations on both devices; reductions inside the
  // broadcast backward add summation-order differences (tolerance 1e-5 relative).
  parity(
      "add", [](auto& x) { return add(x[0], x[1]); }, {R(img, -1, 1, 1), R(img, -1, 1, 2)}, 0, 0);
  parity(
      "mul per-channel", [](auto& x) { return mul(x[0], x[1]); }, {R(img, -1, 1, 3), R(ch, -1, 1, 4)}, 1e-5, 1e-5);
  parity(
      "div per-channel", [](auto& x) { return div(x[0], x[1]); }, {R(img, -1, 1, 5), R(ch, 0.5f, 2, 6)}, 1e-5, 1e-5);
  parity(
      "sub row", [](auto& x) { return sub(x[0], x[1]); }, {R({17}, -1, 1, 7), R({33, 17}, -1, 1, 8)}, 1e-5, 1e-5);
  parity(
      "sigmoid exp log", [](auto& x) { return log(add_scalar(sigmoid(exp(x[0])), 1.0f)); }, {R(img, -2, 2, 9)}, 1e-6,
      2e-6);
  parity(
      "relu abs clamp pow sqrt", [](auto& x) { return sqrt(pow(clamp(abs(relu(x[0])), 0.1f, 0.9f), 1.5f)); },
      {R(img, -1, 1, 10)}, 1e-6, 2e-6);
}

TEST_CASE("op parity: reductions") {
  const Shape s{16, 3, 64, 64};
  parity(
      "sum", [](auto& x) { return sum(x[0]); }, {R(s, -1, 1, 20)}, 1e-3, 1e-5);
  parity(
      "mean", [](auto& x) { return mean(x[0]); }, {R(s, -1, 1, 21)}, 1e-6, 1e-5);
  parity(
      "sum {0,2,3}",
      [](auto& x) {
        return sum(x[0], {0, 2, 3});
      },
      {R(s, -1, 1, 22)}, 1e-3, 1e-5);
  parity(
      "mean {2,3} keepdim",
      [](auto& x) {
        return mean(x[0], {2, 3}, true);
      },
      {R(s, -1, 1, 23)}, 1e-6, 1e-5);
  parity(
      "sum {1}", [](auto& x) { return sum(x[0], {1}); }, {R(s, -1, 1, 24)}, 1e-5, 1e-5);
}

TEST_CASE("op parity: matmul through cuBLAS and OpenBLAS") {
  // Different blockings sum the K products in different orders: about K * 2^-24 relative.
  parity(
      "matmul", [](auto& x) { return matmul(x[0], x[1]); }, {R({64, 300}, -1, 1, 30), R({300, 17}, -1, 1, 31)}, 1e-4,
      1e-4);
}

TEST_CASE("op parity: shape ops") {
  parity(
      "concat",
      [](auto& x) {
        return concat({x[0], x[1]}, 1);
      },
      {R({2, 3, 5, 5}, -1, 1, 40), R({2, 4, 5, 5}, -1, 1, 41)}, 0, 0);
  parity(
      "slice", [](auto& x) { return slice(x[0], 2, 1, 4); }, {R({2, 3, 5, 5}, -1, 1, 42)}, 0, 0);
  parity(
      "broadcast_to",
      [](auto& x) {
        return broadcast_to(x[0], {4, 3, 5});
      },
      {R({3, 1}, -1, 1, 43)}, 1e-5, 1e-5);
  parity(
      "transpose2d", [](auto& x) { return transpose2d(x[0]); }, {R({33, 65}, -1, 1, 44)}, 0, 0);
  parity(
      "reshape",
      [](auto& x) {
        return x[0].reshape({6, -1});
      },
      {R({2, 3, 4}, -1, 1, 45)}, 0, 0);
}

TEST_CASE("tensors round-trip between host and device exactly, for every dtype") {
  Tensor f = R({1000}, -1, 1, 50);
  CHECK(f.cuda().cpu().to_vector() == f.to_vector());
  Tensor u = f.to_dtype(DType::U8);
  CHECK(u.cuda().cpu().to_vector<uint8_t>() == u.to_vector<uint8_t>());
  CHECK(f.cuda().to_dtype(DType::I32).cpu().to_vector<int32_t>() == f.to_dtype(DType::I32).to_vector<int32_t>());
  CHECK(Tensor::zeros({7}, DType::F32, Device::cuda()).cpu().to_vector() == std::vector<float>(7, 0.0f));
  CHECK(test::contains(Tensor::ones({2}, Device::cuda()).str(), "device=cuda:0"));
  // Gradients flow back across devices.
  Tensor x = R({5}, -1, 1, 51);
  x.requires_grad_();
  sum(x.cuda() * 2.0f).backward();
  CHECK(x.grad().is_cpu());
  CHECK(x.grad().to_vector() == std::vector<float>(5, 2.0f));
}

TEST_CASE("random fills on the device equal those on the host") {
  Generator a(31), b(31);
  CHECK(rand({12345}, Device::cuda(), a).cpu().to_vector() == rand({12345}, Device::cpu(), b).to_vector());
  CHECK(randn({12345}, Device::cuda(), a).cpu().to_vector() == randn({12345}, Device::cpu(), b).to_vector());
}
