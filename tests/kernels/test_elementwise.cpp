// CPU twins of kernels/elementwise against direct formulas written independently here.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/elementwise_kernels.h"
#include "tests/test_util.h"

using namespace fbd;
using fbd::kernels::BinaryOp;
using fbd::kernels::UnaryOp;

namespace {

using P = kernels::UnaryParams;

double sigmoid_ref(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// One row per unary op: the inputs (uniform in [lo, 4]; lo > 0 where the op needs positive
// inputs), the parameters, and y = f(x) and f'(x) in double, written independently of
// elementwise.cuh. A static_assert below fails when an op has no row.
struct UnaryRef {
  UnaryOp op;
  float lo;
  P p;
  double (*f)(double x, P p);
  double (*df)(double x, P p);
};

// Three lines a row: op, lo, params; then f; then f'.
// clang-format off
constexpr UnaryRef kUnaryRefs[] = {
    {UnaryOp::Neg,        -4.0f, {},
     [](double x, P) { return -x; },
     [](double, P) { return -1.0; }},
    {UnaryOp::Exp,        -4.0f, {},
     [](double x, P) { return std::exp(x); },
     [](double x, P) { return std::exp(x); }},
    {UnaryOp::Log,         0.1f, {},
     [](double x, P) { return std::log(x); },
     [](double x, P) { return 1.0 / x; }},
    {UnaryOp::Sqrt,        0.1f, {},
     [](double x, P) { return std::sqrt(x); },
     [](double x, P) { return 0.5 / std::sqrt(x); }},
    {UnaryOp::Abs,        -4.0f, {},
     [](double x, P) { return std::fabs(x); },
     [](double x, P) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }},
    {UnaryOp::Sigmoid,    -4.0f, {},
     [](double x, P) { return sigmoid_ref(x); },
     [](double x, P) { return sigmoid_ref(x) * (1 - sigmoid_ref(x)); }},
    {UnaryOp::Tanh,       -4.0f, {},
     [](double x, P) { return std::tanh(x); },
     [](double x, P) { return 1.0 - std::tanh(x) * std::tanh(x); }},
    {UnaryOp::Relu,       -4.0f, {},
     [](double x, P) { return x > 0 ? x : 0.0; },
     [](double x, P) { return x > 0 ? 1.0 : 0.0; }},
    {UnaryOp::Pow,         0.1f, {1.7f},
     [](double x, P p) { return std::pow(x, double(p.a)); },
     [](double x, P p) { return p.a * std::pow(x, p.a - 1.0); }},
    {UnaryOp::Clamp,      -4.0f, {-1.0f, 2.0f},
     [](double x, P p) { return std::min(std::max(x, double(p.a)), double(p.b)); },
     [](double x, P p) { return (x >= p.a && x <= p.b) ? 1.0 : 0.0; }},
    {UnaryOp::AddScalar,  -4.0f, {1.7f},
     [](double x, P p) { return x + p.a; },
     [](double, P) { return 1.0; }},
    {UnaryOp::MulScalar,  -4.0f, {1.7f},
     [](double x, P p) { return x * p.a; },
     [](double, P p) { return double(p.a); }},
};
// clang-format on

// One row per binary op: the reference in float, which must match bit for bit (each op is a
// single IEEE operation).
struct BinaryRef {
  BinaryOp op;
  float (*f)(float a, float b);
};
constexpr BinaryRef kBinaryRefs[] = {
    {BinaryOp::Add, [](float x, float y) { return x + y; }},
    {BinaryOp::Sub, [](float x, float y) { return x - y; }},
    {BinaryOp::Mul, [](float x, float y) { return x * y; }},
    {BinaryOp::Div, [](float x, float y) { return x / y; }},
};

// The row of `table` for `op` (nullptr when there is none).
template <typename Row, size_t N, typename Op>
constexpr const Row* row_for(const Row (&table)[N], Op op) {
  for (const Row& row : table)
    if (row.op == op) return &row;
  return nullptr;
}

template <typename Row, size_t N, typename Op, size_t M>
constexpr bool covers(const Row (&table)[N], const Op (&ops)[M]) {
  for (Op op : ops)
    if (row_for(table, op) == nullptr) return false;
  return true;
}

static_assert(covers(kUnaryRefs, kernels::kAllUnaryOps), "kUnaryRefs needs a row for every UnaryOp");
static_assert(covers(kBinaryRefs, kernels::kAllBinaryOps), "kBinaryRefs needs a row for every BinaryOp");

}  // namespace

TEST_CASE("elementwise unary forward and backward match the textbook formulas") {
  const int64_t n = 1000;
  for (const UnaryOp op : kernels::kAllUnaryOps) {
    const int k = static_cast<int>(op);
    const UnaryRef& r = *row_for(kUnaryRefs, op);
    const std::vector<float> x = test::random_values(n, r.lo, 4.0f, 100 + k);
    const std::vector<float> gy = test::random_values(n, -1.0f, 1.0f, 200 + k);
    std::vector<float> y(n), gx(n), ref_y(n), ref_gx(n);
    kernels::unary_forward_cpu(op, x.data(), y.data(), n, r.p);
    kernels::unary_backward_cpu(op, x.data(), y.data(), gy.data(), gx.data(), n, r.p);
    for (int64_t i = 0; i < n; ++i) {
      ref_y[i] = float(r.f(x[i], r.p));
      ref_gx[i] = float(gy[i] * r.df(x[i], r.p));
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

TEST_CASE("tanh is within 2 ulp of the correctly rounded value everywhere, and saturates") {
  // Every 64th float bit pattern from 1e-30 to 10 (past 9.011, tanh rounds to 1), both signs.
  auto ulps = [](float a, float b) {
    int32_t ia, ib;
    std::memcpy(&ia, &a, 4);
    std::memcpy(&ib, &b, 4);
    return std::abs(int64_t(ia) - int64_t(ib));  // same sign on both sides here
  };
  const float lo = 1e-30f, hi = 10.0f;
  uint32_t ulo, uhi;
  std::memcpy(&ulo, &lo, 4);
  std::memcpy(&uhi, &hi, 4);
  std::vector<float> x;
  for (uint64_t u = ulo; u <= uhi; u += 64) {
    const uint32_t u32 = uint32_t(u);
    float v;
    std::memcpy(&v, &u32, 4);
    x.push_back(v);
    x.push_back(-v);
  }
  std::vector<float> y(x.size());
  kernels::unary_forward_cpu(UnaryOp::Tanh, x.data(), y.data(), int64_t(x.size()), {});
  int64_t worst = 0;
  float worst_x = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const int64_t d = ulps(y[i], float(std::tanh(double(x[i]))));
    if (d > worst) worst = d, worst_x = x[i];
  }
  INFO("worst x " << worst_x);
  CHECK(worst <= 2);
  const std::vector<float> special = {0.0f, -0.0f, 1e4f, -1e4f, HUGE_VALF, -HUGE_VALF, NAN};
  std::vector<float> t(special.size());
  kernels::unary_forward_cpu(UnaryOp::Tanh, special.data(), t.data(), int64_t(special.size()), {});
  CHECK(t[0] == 0.0f);
  CHECK(std::signbit(t[1]));
  CHECK(t[2] == 1.0f);
  CHECK(t[3] == -1.0f);
  CHECK(t[4] == 1.0f);
  CHECK(t[5] == -1.0f);
  CHECK(std::isnan(t[6]));
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
  for (const BinaryOp op : kernels::kAllBinaryOps) {
    INFO(kernels::binary_op_name(op));
    const BinaryRef& r = *row_for(kBinaryRefs, op);
    std::vector<float> out(a.size()), ref(a.size());
    kernels::binary_broadcast_cpu(op, a.data(), b.data(), out.data(), d);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t w = 0; w < W; ++w) {
            const int64_t i = ((n * C + c) * H + h) * W + w;
            const float x = a[i], y = b[c * W + w];
            ref[i] = r.f(x, y);
          }
    CHECK(out == ref);  // the same single IEEE operation per element: exact
  }
  // Same-shape path, in place (out aliases a).
  std::vector<float> acc = a;
  const std::vector<float> other = test::random_values(int64_t(a.size()), -1, 1, 3);
  kernels::binary_cpu(BinaryOp::Add, acc.data(), other.data(), acc.data(), int64_t(a.size()));
  for (size_t i = 0; i < a.size(); ++i) CHECK(acc[i] == a[i] + other[i]);
}

TEST_CASE("relu keeps NaN (as PyTorch), so a diverged network shows as NaN, not as zeros") {
  const std::vector<float> x = {NAN, -1.0f, 0.0f, 2.0f, -HUGE_VALF, HUGE_VALF};
  std::vector<float> y(x.size());
  kernels::unary_forward_cpu(UnaryOp::Relu, x.data(), y.data(), int64_t(x.size()), {});
  CHECK(std::isnan(y[0]));
  CHECK(y[1] == 0.0f);
  CHECK(y[2] == 0.0f);
  CHECK(y[3] == 2.0f);
  CHECK(y[4] == 0.0f);
  CHECK(y[5] == HUGE_VALF);
}
