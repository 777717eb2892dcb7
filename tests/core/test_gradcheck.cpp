// Finite-difference gradient checks for every differentiable op.
//
// Method: for inputs x and an op f, the scalar L = sum(w * f(x)) with fixed random weights w
// (so every output element matters); the analytic gradient from backward() is compared with
// central differences (L(x + h e_j) - L(x - h e_j)) / (2h) for every input element j, with L
// summed in double on the host.
//
// Tolerance: h = 1e-3 on float32 inputs. The truncation error of central differences is
// h^2 |f'''| / 6, about 2e-7 for the smooth ops on the ranges below; the rounding error is
// the float32 rounding of the perturbed outputs, about 2 * 2^-24 |y| / (2h) = 6e-5 |y|.
// We require |analytic - numeric| <= 2e-3 + 1e-2 |numeric|, 30x above the rounding error for
// |y| <= 1, yet far below the error of a wrong rule (a missing factor, a sign, a transposed
// operand all give O(1) relative errors). Inputs avoid kinks (abs, relu, clamp at their
// corners) by more than 10h, and keep log, sqrt, pow and division away from 0.
#include <doctest/doctest.h>

#include <functional>

#include "core/autograd.h"
#include "core/ops.h"
#include "tests/test_util.h"

using namespace fbd;

namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

double weighted_sum(const Tensor& y, const std::vector<float>& w) {
  const std::vector<float> v = y.to_vector();
  double s = 0;
  for (size_t i = 0; i < v.size(); ++i) s += double(v[i]) * w[i];
  return s;
}

void gradcheck(const std::string& name, const Fn& f, std::vector<Tensor> inputs) {
  INFO("op: " << name);
  for (Tensor& t : inputs) t.requires_grad_();
  const Tensor out = f(inputs);
  const std::vector<float> w = test::random_values(std::max<int64_t>(out.numel(), 1), -1, 1, 4242);
  sum(mul(out, Tensor::from_vector(std::vector<float>(w.begin(), w.begin() + out.numel()), out.shape()))).backward();
  const float h = 1e-3f;
  for (size_t i = 0; i < inputs.size(); ++i) {
    REQUIRE_MESSAGE(inputs[i].grad().defined(), name << ": no gradient reached input " << i);
    const std::vector<float> analytic = inputs[i].grad().to_vector();
    std::vector<float> values = inputs[i].to_vector();
    for (size_t j = 0; j < values.size(); ++j) {
      const float x0 = values[j];
      auto eval = [&](float xj) {
        values[j] = xj;
        std::vector<Tensor> perturbed = inputs;
        perturbed[i] = Tensor::from_vector(values, inputs[i].shape());
        NoGradGuard no_grad;
        const double L = weighted_sum(f(perturbed), w);
        values[j] = x0;
        return L;
      };
      const float xp = x0 + h, xm = x0 - h;
      const double numeric = (eval(xp) - eval(xm)) / (double(xp) - double(xm));
      const double err = std::fabs(analytic[j] - numeric);
      CHECK_MESSAGE(err <= 2e-3 + 1e-2 * std::fabs(numeric), name << ": input " << i << " element " << j << " analytic "
                                                                  << analytic[j] << " numeric " << numeric);
    }
  }
}

Tensor R(const Shape& s, float lo, float hi, uint64_t seed) { return test::random_tensor(s, lo, hi, seed); }

// Values in [lo, hi] at least `gap` away from every point in `kinks`.
Tensor away_from(const Shape& s, float lo, float hi, std::vector<float> kinks, float gap, uint64_t seed) {
  std::vector<float> v = test::random_values(shape_numel(s), lo, hi, seed);
  for (float& x : v)
    for (float k : kinks)
      if (std::fabs(x - k) < gap) x = k + (x < k ? -gap : gap);
  return Tensor::from_vector(v, s);
}

}  // namespace

TEST_CASE("gradcheck: binary ops, same shape and broadcast both ways") {
  const Shape s{2, 3, 4};
  gradcheck("add", [](auto& x) { return add(x[0], x[1]); }, {R(s, -1, 1, 1), R(s, -1, 1, 2)});
  gradcheck("sub", [](auto& x) { return sub(x[0], x[1]); }, {R(s, -1, 1, 3), R(s, -1, 1, 4)});
  gradcheck("mul", [](auto& x) { return mul(x[0], x[1]); }, {R(s, -1, 1, 5), R(s, -1, 1, 6)});
  gradcheck("div", [](auto& x) { return div(x[0], x[1]); }, {R(s, -1, 1, 7), R(s, 0.5f, 2, 8)});
  // Per-channel broadcast, [N,C,H,W] op [1,C,1,1], and the other way round.
  const Shape img{2, 3, 2, 2}, ch{1, 3, 1, 1};
  gradcheck("add per-channel", [](auto& x) { return add(x[0], x[1]); }, {R(img, -1, 1, 9), R(ch, -1, 1, 10)});
  gradcheck("mul per-channel", [](auto& x) { return mul(x[0], x[1]); }, {R(img, -1, 1, 11), R(ch, -1, 1, 12)});
  gradcheck("div per-channel", [](auto& x) { return div(x[0], x[1]); }, {R(img, -1, 1, 13), R(ch, 0.5f, 2, 14)});
  gradcheck("div broadcast numerator", [](auto& x) { return div(x[0], x[1]); },
            {R({3, 1}, -1, 1, 15), R({3, 4}, 0.5f, 2, 16)});
  gradcheck("sub rank-1 bias", [](auto& x) { return sub(x[0], x[1]); }, {R({4}, -1, 1, 17), R({3, 4}, -1, 1, 18)});
}

TEST_CASE("gradcheck: unary ops") {
  const Shape s{3, 5};
  gradcheck("neg", [](auto& x) { return neg(x[0]); }, {R(s, -2, 2, 20)});
  gradcheck("exp", [](auto& x) { return exp(x[0]); }, {R(s, -2, 1, 21)});
  gradcheck("log", [](auto& x) { return log(x[0]); }, {R(s, 0.5f, 3, 22)});
  gradcheck("sqrt", [](auto& x) { return sqrt(x[0]); }, {R(s, 0.5f, 3, 23)});
  gradcheck("abs", [](auto& x) { return abs(x[0]); }, {away_from(s, -2, 2, {0}, 0.02f, 24)});
  gradcheck("sigmoid", [](auto& x) { return sigmoid(x[0]); }, {R(s, -4, 4, 25)});
  gradcheck("relu", [](auto& x) { return relu(x[0]); }, {away_from(s, -2, 2, {0}, 0.02f, 26)});
  gradcheck("pow 2.5", [](auto& x) { return pow(x[0], 2.5f); }, {R(s, 0.5f, 2, 27)});
  gradcheck("pow -1.5", [](auto& x) { return pow(x[0], -1.5f); }, {R(s, 0.5f, 2, 28)});
  gradcheck("clamp", [](auto& x) { return clamp(x[0], -0.5f, 0.7f); }, {away_from(s, -2, 2, {-0.5f, 0.7f}, 0.02f, 29)});
  gradcheck("add_scalar", [](auto& x) { return add_scalar(x[0], 3.0f); }, {R(s, -1, 1, 30)});
  gradcheck("mul_scalar", [](auto& x) { return mul_scalar(x[0], -2.5f); }, {R(s, -1, 1, 31)});
}

TEST_CASE("gradcheck: reductions") {
  const Shape s{2, 3, 4, 2};
  gradcheck("sum", [](auto& x) { return sum(x[0]); }, {R(s, -1, 1, 40)});
  gradcheck("mean", [](auto& x) { return mean(x[0]); }, {R(s, -1, 1, 41)});
  gradcheck("sum axes {0,2,3}", [](auto& x) { return sum(x[0], {0, 2, 3}); }, {R(s, -1, 1, 42)});
  gradcheck("sum axis 1 keepdim", [](auto& x) { return sum(x[0], {1}, true); }, {R(s, -1, 1, 43)});
  gradcheck("mean axes {-1,-2}", [](auto& x) { return mean(x[0], {-1, -2}); }, {R(s, -1, 1, 44)});
  gradcheck("mean axis 0 keepdim", [](auto& x) { return mean(x[0], {0}, true); }, {R(s, -1, 1, 45)});
}

TEST_CASE("gradcheck: matmul") {
  gradcheck("matmul", [](auto& x) { return matmul(x[0], x[1]); }, {R({3, 4}, -1, 1, 50), R({4, 5}, -1, 1, 51)});
  gradcheck("matmul column", [](auto& x) { return matmul(x[0], x[1]); }, {R({1, 6}, -1, 1, 52), R({6, 1}, -1, 1, 53)});
}

TEST_CASE("gradcheck: shape ops") {
  gradcheck("reshape", [](auto& x) { return exp(x[0].reshape({4, -1})); }, {R({2, 3, 2}, -1, 1, 60)});
  gradcheck("concat axis 1",
            [](auto& x) {
              return concat({x[0], x[1], x[0]}, 1);
            },
            {R({2, 2, 3}, -1, 1, 61), R({2, 1, 3}, -1, 1, 62)});
  gradcheck("concat axis 0",
            [](auto& x) {
              return concat({x[0], x[1]}, 0);
            },
            {R({1, 4}, -1, 1, 63), R({2, 4}, -1, 1, 64)});
  gradcheck("slice", [](auto& x) { return slice(x[0], 2, 1, 3); }, {R({2, 3, 4}, -1, 1, 65)});
  gradcheck("broadcast_to", [](auto& x) { return broadcast_to(x[0], {2, 3, 4}); }, {R({3, 1}, -1, 1, 66)});
  gradcheck("transpose2d", [](auto& x) { return transpose2d(x[0]); }, {R({3, 5}, -1, 1, 67)});
  gradcheck("clone", [](auto& x) { return x[0].clone(); }, {R({4}, -1, 1, 68)});
  gradcheck("narrow0", [](auto& x) { return x[0].narrow0(1, 2); }, {R({4, 3}, -1, 1, 69)});
}

TEST_CASE("gradcheck: a composed two-layer perceptron with a logistic loss") {
  gradcheck("mlp",
            [](auto& x) {
              const Tensor h = relu(add(matmul(x[0], x[1]), x[2]));
              const Tensor p = sigmoid(matmul(h, x[3]));
              return mean(neg(log(clamp(p, 1e-4f, 1.0f))));
            },
            {R({4, 3}, -1, 1, 70), R({3, 5}, -1, 1, 71), R({5}, 0.2f, 0.5f, 72), R({5, 1}, -1, 1, 73)});
}
