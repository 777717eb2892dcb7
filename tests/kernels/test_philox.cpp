// kernels/philox: the Random123 known answers, the portable log/sin/cos against libm, and
// the distributions.
#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <vector>

#include "kernels/philox.cuh"
#include "kernels/philox_kernels.h"

using namespace fbd::kernels;

TEST_CASE("Philox4x32-10 reproduces the Random123 known-answer vectors") {
  // From Random123's kat_vectors: counter (4 words), key (2 words) -> output (4 words).
  struct Kat {
    uint32_t c[4], k[2], out[4];
  };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
       {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
       {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Kat& t : kats) {
    const Philox4 r = philox4x32_10(t.c[0], t.c[1], t.c[2], t.c[3], t.k[0], t.k[1]);
    for (int j = 0; j < 4; ++j) CHECK(r.w[j] == t.out[j]);
  }
}

TEST_CASE("the portable log and sin/cos agree with libm to 1e-12") {
  double worst_log = 0, worst_trig = 0;
  for (uint32_t k = 1; k <= (1u << 24); k += 4099) {
    const double x = double(k) / 16777216.0;
    worst_log = std::max(worst_log, std::fabs(portable_log(x) - std::log(x)));
    double s, c;
    sincos_turns(x, s, c);
    worst_trig = std::max(worst_trig, std::fabs(s - std::sin(2 * M_PI * x)));
    worst_trig = std::max(worst_trig, std::fabs(c - std::cos(2 * M_PI * x)));
  }
  CHECK(worst_log < 1e-12);
  CHECK(worst_trig < 1e-12);
}

TEST_CASE("uniform and normal fills have the right moments and never leave their range") {
  const int64_t n = 1 << 20;
  std::vector<float> u(n), z(n);
  philox_uniform_cpu(u.data(), n, 42, 0, -1.0f, 3.0f);
  philox_normal_cpu(z.data(), n, 42, 0, 0.0f, 1.0f);
  double su = 0, sz = 0, szz = 0;
  int64_t within1 = 0;
  for (int64_t i = 0; i < n; ++i) {
    CHECK_MESSAGE((u[i] >= -1.0f && u[i] < 3.0f), "uniform value " << u[i] << " out of [-1, 3)");
    CHECK_MESSAGE(std::isfinite(z[i]), "normal value " << z[i]);
    su += u[i];
    sz += z[i];
    szz += double(z[i]) * z[i];
    within1 += std::fabs(z[i]) < 1.0f;
  }
  // Five standard errors: a correct generator fails these about once in 10^6 runs.
  const double se_uniform = 4.0 / std::sqrt(12.0 * n), se_normal = 1.0 / std::sqrt(double(n));
  CHECK(std::fabs(su / n - 1.0) < 5 * se_uniform);
  CHECK(std::fabs(sz / n) < 5 * se_normal);
  CHECK(std::fabs(szz / n - 1.0) < 5 * std::sqrt(2.0 / n));
  CHECK(std::fabs(double(within1) / n - 0.682689492) < 5 * std::sqrt(0.6827 * 0.3173 / n));
}

TEST_CASE("a fill is a pure function of (seed, offset, index), whatever the thread count") {
  const int64_t n = 100003;
  std::vector<uint32_t> one(n), two(n), tail(n - 400);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  philox_bits_cpu(one.data(), n, 7, 5);
  omp_set_num_threads(3);
  philox_bits_cpu(two.data(), n, 7, 5);
  omp_set_num_threads(saved);
  CHECK(one == two);
  // Starting 100 blocks later gives the stream from element 400 on.
  philox_bits_cpu(tail.data(), n - 400, 7, 105);
  CHECK(std::equal(tail.begin(), tail.end(), one.begin() + 400));
  // A different seed gives a different stream.
  philox_bits_cpu(two.data(), n, 8, 5);
  CHECK(one != two);
}
