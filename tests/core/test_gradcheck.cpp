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

#include <array>
#include <functional>
#include <string>

#include "core/autograd.h"
#include "core/ops.h"
#include "kernels/elementwise_kernels.h"
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

using kernels::BinaryOp;
using kernels::UnaryOp;

// The elementwise ops, one table each keyed by the op; the tests below loop over
// kernels::kAllUnaryOps and kAllBinaryOps, and a static_assert fails when an op has no row.
//
// Unary: the call (an op with parameters may have several rows) and the input range, kept
// 0.02 (20h) away from the first num_kinks points of `kinks`, where the op has a corner.
struct UnaryGrad {
  UnaryOp op;
  Tensor (*f)(const Tensor& x);
  float lo, hi;
  std::array<float, 2> kinks{};
  int num_kinks = 0;
};

constexpr UnaryGrad kUnaryGrads[] = {
    {UnaryOp::Neg, [](const Tensor& x) { return neg(x); }, -2, 2},
    {UnaryOp::Exp, [](const Tensor& x) { return exp(x); }, -2, 1},
    {UnaryOp::Log, [](const Tensor& x) { return log(x); }, 0.5f, 3},
    {UnaryOp::Sqrt, [](const Tensor& x) { return sqrt(x); }, 0.5f, 3},
    {UnaryOp::Abs, [](const Tensor& x) { return abs(x); }, -2, 2, {0}, 1},
    {UnaryOp::Sigmoid, [](const Tensor& x) { return sigmoid(x); }, -4, 4},
    {UnaryOp::Tanh, [](const Tensor& x) { return tanh(x); }, -3, 3},
    {UnaryOp::Relu, [](const Tensor& x) { return relu(x); }, -2, 2, {0}, 1},
    {UnaryOp::Pow, [](const Tensor& x) { return pow(x, 2.5f); }, 0.5f, 2},
    {UnaryOp::Pow, [](const Tensor& x) { return pow(x, -1.5f); }, 0.5f, 2},
    {UnaryOp::Clamp, [](const Tensor& x) { return clamp(x, -0.5f, 0.7f); }, -2, 2, {-0.5f, 0.7f}, 2},
    {UnaryOp::AddScalar, [](const Tensor& x) { return add_scalar(x, 3.0f); }, -1, 1},
    {UnaryOp::MulScalar, [](const Tensor& x) { return mul_scalar(x, -2.5f); }, -1, 1},
};

// Binary: the call and the range of the second operand (kept away from 0 for division); the
// first is drawn from [-1, 1]. Every op runs on every operand layout of the test.
struct BinaryGrad {
  BinaryOp op;
  Tensor (*f)(const Tensor& a, const Tensor& b);
  float b_lo, b_hi;
};

constexpr BinaryGrad kBinaryGrads[] = {
    {BinaryOp::Add, [](const Tensor& a, const Tensor& b) { return add(a, b); }, -1, 1},
    {BinaryOp::Sub, [](const Tensor& a, const Tensor& b) { return sub(a, b); }, -1, 1},
    {BinaryOp::Mul, [](const Tensor& a, const Tensor& b) { return mul(a, b); }, -1, 1},
    {BinaryOp::Div, [](const Tensor& a, const Tensor& b) { return div(a, b); }, 0.5f, 2},
};

template <typename Row, size_t N, typename Op, size_t M>
constexpr bool covers(const Row (&table)[N], const Op (&ops)[M]) {
  for (Op op : ops) {
    bool found = false;
    for (const Row& row : table) found = found || row.op == op;
    if (!found) return false;
  }
  return true;
}

static_assert(covers(kUnaryGrads, kernels::kAllUnaryOps), "kUnaryGrads needs a row for every UnaryOp");
static_assert(covers(kBinaryGrads, kernels::kAllBinaryOps), "kBinaryGrads needs a row for every BinaryOp");

}  // namespace

TEST_CASE("gradcheck: binary ops, same shape and broadcast both ways") {
  struct Layout {
    const char* name;
    Shape a, b;
  };
  // Same shape; per-channel [N,C,H,W] op [1,C,1,1]; and the first operand broadcast instead.
  const std::vector<Layout> layouts = {{"same shape", {2, 3, 4}, {2, 3, 4}},
                                       {"per-channel", {2, 3, 2, 2}, {1, 3, 1, 1}},
                                       {"broadcast first operand", {3, 1}, {3, 4}},
                                       {"rank-1 first operand", {4}, {3, 4}}};
  uint64_t seed = 1;
  for (const Layout& layout : layouts)
    for (const BinaryOp op : kernels::kAllBinaryOps)
      for (const BinaryGrad& row : kBinaryGrads) {
        if (row.op != op) continue;
        gradcheck(std::string(kernels::binary_op_name(op)) + " " + layout.name,
                  [f = row.f](auto& x) { return f(x[0], x[1]); },
                  {R(layout.a, -1, 1, seed), R(layout.b, row.b_lo, row.b_hi, seed + 1)});
        seed += 2;
      }
}

TEST_CASE("gradcheck: unary ops") {
  const Shape s{3, 5};
  for (const UnaryOp op : kernels::kAllUnaryOps)
    for (const UnaryGrad& row : kUnaryGrads) {
      if (row.op != op) continue;
      const auto index = &row - kUnaryGrads;
      const std::vector<float> kinks(row.kinks.begin(), row.kinks.begin() + row.num_kinks);
      gradcheck(std::string(kernels::unary_op_name(op)) + " (row " + std::to_string(index) + ")",
                [f = row.f](auto& x) { return f(x[0]); },
                {away_from(s, row.lo, row.hi, kinks, 0.02f, uint64_t(20 + index))});
    }
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
