// Every CUDA kernel against its CPU twin. An element passes when |cpu - gpu| <= tol + eps |cpu|;
// the tolerance of each kernel is stated beside its test.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "kernels/copy_kernels.h"
#include "kernels/elementwise_kernels.h"
#include "kernels/philox_kernels.h"
#include "kernels/reduce_kernels.h"
#include "tests/gpu/gpu_util.h"
#include "tests/test_util.h"

using namespace fbd;
using kernels::BinaryOp;
using kernels::UnaryOp;

namespace {
kernels::Stream S() { return cuda::stream(); }
void device_sync() { cuda::synchronize(); }

struct Tol {
  double tol, eps;
};

// Tolerances, derived from the error of each side and then doubled. u = 2^-24 (the unit
// roundoff); two floats k ulp apart differ by at most 2k u relative (an ulp of a normal float
// v is at most 2u |v|). Every input range below keeps every result normal.
//  - IEEE-exact operations (negation, abs, comparisons, +, *, /, sqrt; nvcc divides and takes
//    square roots correctly rounded by default, -prec-div=true -prec-sqrt=true) match bit for
//    bit, as does a backward made of them on the same x, y and gy: Exp (gy y), Log (gy / x),
//    Sqrt, Sigmoid (gy y (1 - y)), and the rest.
//  - exp: the host's fbd_expf is within 2 ulp of the correctly rounded result
//    (kernels/fast_math.cuh, tests/kernels/test_fast_math.cpp) and CUDA's expf within 2 ulp
//    of it too (CUDA C++ Programming Guide, mathematical functions appendix, which measures
//    against the correctly rounded result): at most 4 ulp apart, 8u = 4.8e-7. Allowed: 1e-6.
//  - log: host 2 ulp, CUDA's logf 1 ulp: 3 ulp apart, 6u = 3.6e-7. Allowed: 8e-7.
//  - sigmoid, e = exp(-|x|) in (0, 1], 4 ulp apart on the two sides (relative d = 8u):
//    x >= 0, y = 1 / (1 + e): the difference in e moves y by d e / (1 + e) <= d/2 = 4u, and
//    each side rounds 1 + e and the quotient (2u per side): at most 8u.
//    x < 0, y = e / (1 + e) = e * that quotient: y moves by d / (1 + e) <= d = 8u, and each
//    side rounds three times (6u): at most 14u = 8.3e-7, the bound. Allowed: 1.7e-6 (28u).
//  - pow: CUDA's powf is within 4 ulp, glibc's powf within 1: 5 ulp apart, 10u = 6e-7.
//    Allowed: 1.2e-6. Its backward gy * a * powf(x, a - 1): the same 10u plus the last
//    product's rounding on each side, 12u = 7.2e-7. Allowed: 1.5e-6.
//  - tanh: the host's fbd_tanhf is within 2 ulp (tests/kernels/test_elementwise.cpp) and CUDA's
//    tanhf within 2 ulp: 4 ulp apart, 8u = 4.8e-7. Allowed: 1e-6. Its backward
//    gy ((1 - y)(1 + y)) has no a * b + c for nvcc to fuse: exact.
// Backward kernels run from the CPU's y, so their tolerance covers the backward alone.
//
// One row per unary op: the inputs (uniform in [lo, 6]; lo > 0 where the op needs positive
// inputs), the parameters, and the forward and backward tolerances. A static_assert below
// fails when an op has no row.
struct UnaryCase {
  UnaryOp op;
  float lo;
  kernels::UnaryParams p;
  Tol fwd, bwd;
};

constexpr Tol kExact{0, 0};

// clang-format off
constexpr UnaryCase kUnaryCases[] = {
    {UnaryOp::Neg,       -6.0f, {},            kExact,          kExact},
    {UnaryOp::Exp,       -6.0f, {},            {1e-30, 1e-6},   kExact},
    {UnaryOp::Log,       0.1f,  {},            {1e-30, 8e-7},   kExact},
    {UnaryOp::Sqrt,      0.1f,  {},            kExact,          kExact},
    {UnaryOp::Abs,       -6.0f, {},            kExact,          kExact},
    {UnaryOp::Sigmoid,   -6.0f, {},            {1e-30, 1.7e-6}, kExact},
    {UnaryOp::Tanh,      -6.0f, {},            {1e-30, 1e-6},   kExact},
    {UnaryOp::Relu,      -6.0f, {},            kExact,          kExact},
    {UnaryOp::Pow,       0.1f,  {1.7f},        {1e-30, 1.2e-6}, {1e-30, 1.5e-6}},
    {UnaryOp::Clamp,     -6.0f, {-1.0f, 2.0f}, kExact,          kExact},
    {UnaryOp::AddScalar, -6.0f, {1.7f},        kExact,          kExact},
    {UnaryOp::MulScalar, -6.0f, {1.7f},        kExact,          kExact},
};
// clang-format on

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

static_assert(covers(kUnaryCases, kernels::kAllUnaryOps), "kUnaryCases needs a row for every UnaryOp");
}  // namespace

TEST_CASE("elementwise unary: CUDA matches the CPU twin (vector and scalar paths)") {
  // n not a multiple of 4 exercises the tail loop; offset 1 exercises the unaligned path.
  const int64_t n = (1 << 20) + 3;
  for (const UnaryOp op : kernels::kAllUnaryOps) {
    const int k = static_cast<int>(op);
    const UnaryCase& c = *row_for(kUnaryCases, op);
    const auto x = test::random_values(n + 1, c.lo, 6.0f, 10 + k);
    const auto gy = test::random_values(n + 1, -1, 1, 50 + k);
    const kernels::UnaryParams p = c.p;
    for (int offset : {0, 1}) {
      INFO(kernels::unary_op_name(op) << " offset " << offset);
      std::vector<float> xs(x.begin() + offset, x.begin() + offset + n),
          gys(gy.begin() + offset, gy.begin() + offset + n);
      std::vector<float> y_cpu(n), gx_cpu(n);
      kernels::unary_forward_cpu(op, xs.data(), y_cpu.data(), n, p);
      kernels::unary_backward_cpu(op, xs.data(), y_cpu.data(), gys.data(), gx_cpu.data(), n, p);
      test::GuardedBuffer dx(n + 1), dy(n + 1), dgy(n + 1), dgx(n + 1);
      dx.upload(x);
      dgy.upload(gy);
      kernels::unary_forward_cuda(op, dx.data() + offset, dy.data() + offset, n, p, S());
      cuda::check_launch("unary_forward");
      // Backward from the CPU's y, so the backward tolerance covers the backward kernel alone.
      std::vector<float> y_shift(size_t(n + 1), 0.0f);
      std::copy(y_cpu.begin(), y_cpu.end(), y_shift.begin() + offset);
      test::GuardedBuffer dyc(y_shift);
      kernels::unary_backward_cuda(op, dx.data() + offset, dyc.data() + offset, dgy.data() + offset,
                                   dgx.data() + offset, n, p, S());
      cuda::check_launch("unary_backward");
      device_sync();
      auto y_gpu = dy.download(), gx_gpu = dgx.download();
      y_gpu.erase(y_gpu.begin(), y_gpu.begin() + offset);
      y_gpu.resize(size_t(n));
      gx_gpu.erase(gx_gpu.begin(), gx_gpu.begin() + offset);
      gx_gpu.resize(size_t(n));
      test::check_close(y_cpu, y_gpu, c.fwd.tol, c.fwd.eps, std::string("forward ") + kernels::unary_op_name(op));
      test::check_close(gx_cpu, gx_gpu, c.bwd.tol, c.bwd.eps, std::string("backward ") + kernels::unary_op_name(op));
    }
  }
}

TEST_CASE("elementwise binary: same shape and broadcast are bit-identical to the CPU") {
  const int64_t n = 3 * 1000 * 17 + 1;
  const auto a = test::random_values(n, -3, 3, 1), b = test::random_values(n, 0.5f, 3, 2);
  for (const BinaryOp op : kernels::kAllBinaryOps) {
    INFO(kernels::binary_op_name(op) << " same shape");
    std::vector<float> cpu(n);
    kernels::binary_cpu(op, a.data(), b.data(), cpu.data(), n);
    test::GuardedBuffer da(a), db(b), dout(n);
    kernels::binary_cuda(op, da.data(), db.data(), dout.data(), n, S());
    cuda::check_launch("binary");
    device_sync();
    CHECK(dout.download() == cpu);
  }
  // Per-channel [16, 32, 64, 64] op [1, 32, 1, 1] after merging: [16, 32, 4096] with b strides (0, 1, 0).
  kernels::StridedDims d;
  d.ndim = 3;
  const int64_t shape[3] = {16, 32, 4096}, sa[3] = {32 * 4096, 4096, 1}, sb[3] = {0, 1, 0};
  for (int k = 0; k < 3; ++k) {
    d.shape[k] = shape[k];
    d.stride_a[k] = sa[k];
    d.stride_b[k] = sb[k];
  }
  const int64_t m = 16 * 32 * 4096;
  const auto x = test::random_values(m, -3, 3, 3), c = test::random_values(32, 0.5f, 3, 4);
  for (const BinaryOp op : kernels::kAllBinaryOps) {
    INFO(kernels::binary_op_name(op) << " broadcast");
    std::vector<float> cpu(m);
    kernels::binary_broadcast_cpu(op, x.data(), c.data(), cpu.data(), d);
    test::GuardedBuffer dx(x), dc(c), dout(m);
    kernels::binary_broadcast_cuda(op, dx.data(), dc.data(), dout.data(), d, S());
    cuda::check_launch("binary_broadcast");
    device_sync();
    CHECK(dout.download() == cpu);
  }
}

TEST_CASE("reduce: CUDA sums match the CPU within the float rounding of a tree sum") {
  struct Case {
    int64_t outer, R, inner;
  };
  // Whole sums (split over many blocks), per-image sums, per-channel columns, huge row counts.
  for (const Case c : {Case{1, 16 * 256 * 256, 1}, Case{16, 256 * 256, 1}, Case{16, 32, 4096}, Case{1, 16, 32},
                       Case{100000, 3, 1}, Case{70000, 1, 1}, Case{3, 0, 5}, Case{1, 1, 1}}) {
    INFO("outer " << c.outer << " R " << c.R << " inner " << c.inner);
    const int64_t n = c.outer * c.R * c.inner;
    const auto in = test::random_values(std::max<int64_t>(n, 1), -1, 1, uint64_t(n + 3));
    std::vector<float> cpu(size_t(c.outer * c.inner));
    kernels::reduce_sum_cpu(in.data(), cpu.data(), c.outer, c.R, c.inner, 0.25f);
    test::GuardedBuffer din(in), dout(c.outer * c.inner);
    const size_t ws_bytes = kernels::reduce_sum_workspace_bytes(c.outer, c.R, c.inner);
    test::GuardedBuffer ws(int64_t(ws_bytes / 4) + 1);
    cuda::check_launch("reduce_sum",
                       kernels::reduce_sum_cuda(din.data(), dout.data(), c.outer, c.R, c.inner, 0.25f, ws.data(), S()));
    device_sync();
    const auto gpu = dout.download();
    ws.download();  // checks the workspace guard too
    // Tolerance per output. The CPU adds in double, so the difference is the GPU's float
    // rounding: at most d u sum|x| for an addition tree of depth d (a thread's loop, 5 shuffle
    // levels, 3 block levels, the second pass), a worst case reached only when every rounding
    // goes the same way; here d reaches about 30. For these inputs (uniform in [-1, 1], signs
    // mixed) the roundings are independent and the error is of order sqrt(d) u sqrt(sum x^2):
    // at R = 2^20 about 2e-4 against the 0.5 allowed below, at R = 32 about 8u against 256u.
    // Allowed: 2^-20 sum|x| (times the scale on both sides).
    for (int64_t o = 0; o < c.outer; ++o)
      for (int64_t i = 0; i < c.inner; ++i) {
        double abs_sum = 0;
        for (int64_t r = 0; r < c.R; ++r) abs_sum += std::fabs(in[size_t((o * c.R + r) * c.inner + i)]);
        const size_t k = size_t(o * c.inner + i);
        REQUIRE_MESSAGE(std::fabs(cpu[k] - gpu[k]) <= 0.25 * abs_sum * std::ldexp(1.0, -20) + 1e-30,
                        "output " << k << " cpu " << cpu[k] << " gpu " << gpu[k]);
      }
  }
}

TEST_CASE("reduce: the GPU sum is deterministic run to run") {
  const int64_t n = 16 * 256 * 256;
  const auto in = test::random_values(n, -1, 1, 77);
  test::GuardedBuffer din(in), dout(1), ws(int64_t(kernels::reduce_sum_workspace_bytes(1, n, 1) / 4) + 1);
  std::vector<float> results;
  for (int rep = 0; rep < 5; ++rep) {
    cuda::check_launch("reduce_sum", kernels::reduce_sum_cuda(din.data(), dout.data(), 1, n, 1, 1.0f, ws.data(), S()));
    device_sync();
    results.push_back(dout.download()[0]);
  }
  for (float r : results) CHECK(r == results[0]);
}

TEST_CASE("copy kernels: fill, strided copy and casts are exact") {
  const int64_t n = 100003;
  test::GuardedBuffer buf(n);
  kernels::fill_f32_cuda(buf.data(), n, 3.25f, S());
  cuda::check_launch("fill");
  device_sync();
  for (float v : buf.download()) REQUIRE(v == 3.25f);

  // Transpose [300, 501] -> [501, 300].
  const int64_t M = 300, N = 501;
  const auto src = test::random_values(M * N, -1, 1, 5);
  kernels::StridedDims d;
  d.ndim = 2;
  d.shape[0] = N;
  d.shape[1] = M;
  d.stride_a[0] = 1;
  d.stride_a[1] = N;
  d.stride_b[0] = M;
  d.stride_b[1] = 1;
  std::vector<float> cpu(M * N);
  kernels::strided_copy_cpu(src.data(), cpu.data(), 4, d);
  test::GuardedBuffer dsrc(src), ddst(M * N);
  kernels::strided_copy_cuda(dsrc.data(), ddst.data(), 4, d, S());
  cuda::check_launch("strided_copy");
  device_sync();
  CHECK(ddst.download() == cpu);

  // Casts, all nine pairs, through float buffers used as raw bytes.
  const std::vector<float> f = {0.0f, 1.9f, -1.9f, 254.6f, 300.0f, -5.0f, NAN, 3e9f, -3e9f, 17.0f, 42.0f, 255.0f};
  const kernels::ElemType types[3] = {kernels::ElemType::F32, kernels::ElemType::U8, kernels::ElemType::I32};
  const int64_t m = int64_t(f.size());
  for (auto from : types) {
    // Source values of type `from`: the float values cast on the CPU first.
    std::vector<float> src_buf(f.size(), 0.0f);
    kernels::cast_cpu(f.data(), kernels::ElemType::F32, src_buf.data(), from, m);
    for (auto to : types) {
      std::vector<float> cpu_out(f.size(), 0.0f);
      kernels::cast_cpu(src_buf.data(), from, cpu_out.data(), to, m);
      test::GuardedBuffer dsrc2(src_buf), dout(m);
      kernels::fill_f32_cuda(dout.data(), m, 0.0f, S());
      kernels::cast_cuda(dsrc2.raw(), from, dout.raw(), to, m, S());
      cuda::check_launch("cast");
      device_sync();
      const auto gpu = dout.download();
      CHECK(std::memcmp(gpu.data(), cpu_out.data(), f.size() * 4) == 0);
    }
  }
}

TEST_CASE("philox: bits, uniforms and normals are bit-identical on CPU and CUDA") {
  const int64_t n = (1 << 20) + 2;
  std::vector<uint32_t> bits_cpu(n);
  kernels::philox_bits_cpu(bits_cpu.data(), n, 1234, 17);
  test::GuardedBuffer dbits(n);
  kernels::philox_bits_cuda(static_cast<uint32_t*>(dbits.raw()), n, 1234, 17, S());
  cuda::check_launch("philox_bits");
  device_sync();
  const auto bits_gpu = dbits.download();
  CHECK(std::memcmp(bits_gpu.data(), bits_cpu.data(), size_t(n) * 4) == 0);

  std::vector<float> u_cpu(n), z_cpu(n);
  kernels::philox_uniform_cpu(u_cpu.data(), n, 99, 3, -2.0f, 5.0f);
  kernels::philox_normal_cpu(z_cpu.data(), n, 99, 3, 0.5f, 2.0f);
  test::GuardedBuffer du(n), dz(n);
  kernels::philox_uniform_cuda(du.data(), n, 99, 3, -2.0f, 5.0f, S());
  kernels::philox_normal_cuda(dz.data(), n, 99, 3, 0.5f, 2.0f, S());
  cuda::check_launch("philox");
  device_sync();
  CHECK(du.download() == u_cpu);
  CHECK(dz.download() == z_cpu);
}
