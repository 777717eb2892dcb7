// CPU twins of kernels/elementwise against direct formulas written independently here.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "kernels/elementwise_kernels.h"
#include "tests/test_util.h"

using namespace fbd;
using fbd::kernels::BinaryOp;
using fbd::kernels::UnaryOp;

namespace {

double ref_forward(UnaryOp op, double x, double a, double b) {
  switch (op) {
    case UnaryOp::Neg: return -x;
    case UnaryOp::Exp: return std::exp(x);
    case UnaryOp::Log: return std::log(x);
    case UnaryOp::Sqrt: return std::sqrt(x);
    case UnaryOp::Abs: return std::fabs(x);
    case UnaryOp::Sigmoid: return 1.0 / (1.0 + std::exp(-x));
    case UnaryOp::Relu: return x > 0 ? x : 0;
    case UnaryOp::Pow: return std::pow(x, a);
    case UnaryOp::Clamp: return std::min(std::max(x, a), b);
    case UnaryOp::AddScalar: return x + a;
    case UnaryOp::MulScalar: return x * a;
  }
  return 0;
}

double ref_derivative(UnaryOp op, double x, double a, double b) {
  switch (op) {
    case UnaryOp::Neg: return -1;
    case UnaryOp::Exp: return std::exp(x);
    case UnaryOp::Log: return 1.0 / x;
    case UnaryOp::Sqrt: return 0.5 / std::sqrt(x);
    case UnaryOp::Abs: return x > 0 ? 1 : (x < 0 ? -1 : 0);
    case UnaryOp::Sigmoid: {
      const double s = 1.0 / (1.0 + std::exp(-x));
      return s * (1 - s);
    }
    case UnaryOp::Relu: return x > 0 ? 1 : 0;
    case UnaryOp::Pow: return a * std::pow(x, a - 1);
    case UnaryOp::Clamp: return (x >= a && x <= b) ? 1 : 0;
    case UnaryOp::AddScalar: return 1;
    case UnaryOp::MulScalar: return a;
  }
  return 0;
}

}  // namespace

TEST_CASE("elementwise unary forward and backward match the textbook formulas") {
  const int64_t n = 1000;
  for (int k = 0; k < kernels::kNumUnaryOps; ++k) {
    const auto op = UnaryOp(k);
    const bool positive = op == UnaryOp::Log || op == UnaryOp::Sqrt || op == UnaryOp::Pow;
    const std::vector<float> x = test::random_values(n, positive ? 0.1f : -4.0f, 4.0f, 100 + k);
    const std::vector<float> gy = test::random_values(n, -1.0f, 1.0f, 200 + k);
    const kernels::UnaryParams p{op == UnaryOp::Clamp ? -1.0f : 1.7f, op == UnaryOp::Clamp ? 2.0f : 0.0f};
    std::vector<float> y(n), gx(n), ref_y(n), ref_gx(n);
    kernels::unary_forward_cpu(op, x.data(), y.data(), n, p);
    kernels::unary_backward_cpu(op, x.data(), y.data(), gy.data(), gx.data(), n, p);
    for (int64_t i = 0; i < n; ++i) {
      ref_y[i] = float(ref_forward(op, x[i], p.a, p.b));
      ref_gx[i] = float(gy[i] * ref_derivative(op, x[i], p.a, p.b));
    }
    // float32 evaluation against double: a few ulp.
    test::check_close(ref_y, y, 1e-6, 4e-7, std::string("forward ") + kernels::unary_op_name(op));
    test::check_close(ref_gx, gx, 1e-6, 2e-6, std::string("backward ") + kernels::unary_op_name(op));
  }
}

TEST_CASE("sigmoid is finite and saturates for huge logits") {
  const std::vector<float> x = {-1e4f, -100.0f, -50.0f, 0.0f, 50.0f, 100.0f, 1e4f};
  std::vector<float> y(x.size()), gx(x.size());
  const std::vector<float> ones(x.size(), 1.0f);
  kernels::unary_forward_cpu(UnaryOp::Sigmoid, x.data(), y.data(), int64_t(x.size()), {});
  kernels::unary_backward_cpu(UnaryOp::Sigmoid, x.data(), y.data(), ones.data(), gx.data(), int64_t(x.size()), {});
  for (size_t i = 0; i < x.size(); ++i) {
    CHECK(std::isfinite(y[i]));
    CHECK(std::isfinite(gx[i]));
    CHECK(y[i] >= 0.0f);
    CHECK(y[i] <= 1.0f);
  }
  CHECK(y[0] == 0.0f);
  CHECK(y[3] == 0.5f);
  CHECK(y[6] == 1.0f);
}

TEST_CASE("binary ops, same shape and broadcast, match an index-by-index loop") {
  // a: [2, 3, 4, 5], b: [1, 3, 1, 5] broadcast along axes 0 and 2.
  const int64_t N = 2, C = 3, H = 4, W = 5;
  const std::vector<float> a = test::random_values(N * C * H * W, -2, 2, 1);
  const std::vector<float> b = test::random_values(C * W, 0.5f, 2, 2);
  kernels::StridedDims d;
  d.ndim = 4;
  const int64_t shape[4] = {N, C, H, W}, sa[4] = {C * H * W, H * W, W, 1}, sb[4] = {0, W, 0, 1};
  for (int k = 0; k < 4; ++k) {
    d.shape[k] = shape[k];
    d.stride_a[k] = sa[k];
    d.stride_b[k] = sb[k];
  }
  for (auto op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div}) {
    std::vector<float> out(a.size()), ref(a.size());
    kernels::binary_broadcast_cpu(op, a.data(), b.data(), out.data(), d);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t w = 0; w < W; ++w) {
            const int64_t i = ((n * C + c) * H + h) * W + w;
            const float x = a[i], y = b[c * W + w];
            ref[i] = op == BinaryOp::Add ? x + y : op == BinaryOp::Sub ? x - y : op == BinaryOp::Mul ? x * y : x / y;
          }
    CHECK(out == ref);  // the same single IEEE operation per element: exact
  }
  // Same-shape path, in place (out aliases a).
  std::vector<float> acc = a;
  const std::vector<float> other = test::random_values(int64_t(a.size()), -1, 1, 3);
  kernels::binary_cpu(BinaryOp::Add, acc.data(), other.data(), acc.data(), int64_t(a.size()));
  for (size_t i = 0; i < a.size(); ++i) CHECK(acc[i] == a[i] + other[i]);
}
