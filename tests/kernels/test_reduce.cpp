// CPU twin of kernels/reduce against a double-precision reference, and its determinism.
#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <vector>

#include "kernels/reduce_kernels.h"
#include "tests/test_util.h"

using namespace fbd;

namespace {
std::vector<float> reference(const std::vector<float>& in, int64_t outer, int64_t R, int64_t inner, double scale) {
  std::vector<float> out(size_t(outer * inner));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double s = 0;
      for (int64_t r = 0; r < R; ++r) s += in[size_t((o * R + r) * inner + i)];
      out[size_t(o * inner + i)] = float(s * scale);
    }
  return out;
}
}  // namespace

TEST_CASE("reduce_sum over [outer, R, inner] matches a double reference") {
  struct Case {
    int64_t outer, R, inner;
  };
  // Rows, columns, long rows split into chunks, and degenerate sizes.
  for (const Case c : {Case{1, 1, 1}, Case{1, 1000, 1}, Case{7, 33, 1}, Case{3, 5, 17}, Case{1, 70000, 1},
                       Case{2, 40000, 3}, Case{16, 256 * 256, 1}, Case{4, 0, 3}, Case{1, 16, 4096}}) {
    const int64_t n = c.outer * c.R * c.inner;
    const std::vector<float> in = test::random_values(std::max<int64_t>(n, 1), -1, 1, uint64_t(n + 7));
    std::vector<float> out(size_t(c.outer * c.inner), -123.0f);
    kernels::reduce_sum_cpu(in.data(), out.data(), c.outer, c.R, c.inner, 0.5f);
    const std::vector<float> ref = reference(in, c.outer, c.R, c.inner, 0.5);
    // Both accumulate in double; only the final rounding to float can differ: exact or 1 ulp.
    test::check_close(ref, out, 0.0, 1.2e-7,
                      "reduce " + std::to_string(c.outer) + "x" + std::to_string(c.R) + "x" + std::to_string(c.inner));
  }
}

TEST_CASE("reduce_sum is bit-identical for any number of threads") {
  const int64_t outer = 3, R = 100000, inner = 2;
  const std::vector<float> in = test::random_values(outer * R * inner, -1, 1, 99);
  std::vector<float> one(size_t(outer * inner)), two(size_t(outer * inner));
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  kernels::reduce_sum_cpu(in.data(), one.data(), outer, R, inner, 1.0f);
  omp_set_num_threads(4);
  kernels::reduce_sum_cpu(in.data(), two.data(), outer, R, inner, 1.0f);
  omp_set_num_threads(saved);
  CHECK(one == two);
}

TEST_CASE("a sum of a million ones is exact") {
  const std::vector<float> in(1 << 20, 1.0f);
  float out = 0;
  kernels::reduce_sum_cpu(in.data(), &out, 1, 1 << 20, 1, 1.0f);
  CHECK(out == float(1 << 20));
}
