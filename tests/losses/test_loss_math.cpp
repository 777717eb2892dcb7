// The shared per-pixel helpers of kernels/loss_math.cuh against libm in double: the host
// versions the CPU twins vectorise (the CUDA side uses CUDA's own expf/logf/sqrtf).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "kernels/loss_math.cuh"
#include "kernels/shape_loss.cuh"

using namespace fbd::kernels;

namespace {
// Distance in units in the last place between two positive floats.
int64_t ulps(float a, float b) {
  int32_t ia, ib;
  std::memcpy(&ia, &a, 4);
  std::memcpy(&ib, &b, 4);
  return std::abs(int64_t(ia) - int64_t(ib));
}
}  // namespace

TEST_CASE("loss math: fbd_sqrtf_pos is within 1 ulp of sqrt on [FLT_MIN, FLT_MAX]") {
  int64_t worst = 0;
  // Every 64th float from FLT_MIN up (2^24 values spanning all exponents).
  for (uint32_t bits = 0x00800000u; bits < 0x7f800000u; bits += 64) {
    float x;
    std::memcpy(&x, &bits, 4);
    worst = std::max(worst, ulps(fbd_sqrtf_pos(x), float(std::sqrt(double(x)))));
  }
  CHECK(worst <= 1);
  CHECK(fbd_sqrtf_pos(0.0f) == doctest::Approx(std::sqrt(1.17549435e-38)).epsilon(1e-6));  // clamped to FLT_MIN
}

TEST_CASE("loss math: log1p_unit, logistic and pow_unit against double references") {
  double worst_log1p = 0, worst_sp = 0, worst_p = 0, worst_pow = 0;
  for (int i = 0; i <= 200000; ++i) {
    const float e = float(i) / 200000.0f * (i % 2 ? 1.0f : 1e-6f);  // both tiny and O(1) arguments
    const double ref = std::log1p(double(e));
    if (ref > 0) worst_log1p = std::max(worst_log1p, std::fabs(log1p_unit(e) - ref) / ref);
    const float z = -60.0f + 120.0f * float(i) / 200000.0f;
    const Logistic l = logistic(z);
    const double p = 1.0 / (1.0 + std::exp(-double(z))), q = 1.0 / (1.0 + std::exp(double(z)));
    const double sp = std::log1p(std::exp(-std::fabs(double(z)))) + std::max(double(z), 0.0);
    const double sn = std::log1p(std::exp(-std::fabs(double(z)))) + std::max(-double(z), 0.0);
    worst_p = std::max({worst_p, double(std::fabs(l.p - p) / p), double(std::fabs(l.q - q) / q)});
    worst_sp = std::max({worst_sp, double(std::fabs(l.sp_pos - sp) / sp), double(std::fabs(l.sp_neg - sn) / sn)});
    const float m = float(i + 1) / 200001.0f;
    for (const float gamma : {0.5f, 1.0f, 2.0f, 3.7f}) {
      const double r = std::pow(double(m), double(gamma));
      worst_pow = std::max(worst_pow, std::fabs(pow_unit(m, gamma) - r) / r);
    }
  }
  CHECK(worst_log1p < 4e-7);  // the few ulp of the host log, also where 1 + e rounds to 1
  CHECK(worst_p < 4e-7);      // relative, including the saturated tails (q = 9e-27 at z = 60)
  CHECK(worst_sp < 4e-7);     // softplus relative, including softplus(-60) = 9e-27
  CHECK(worst_pow < 3e-6);    // exp(gamma log m): gamma |log m| ulp
  CHECK(pow_unit(0.0f, 0.0f) == 1.0f);
  CHECK(pow_unit(0.0f, 2.0f) == 0.0f);
  CHECK(pow_unit(1.0f, 2.0f) == 1.0f);
}

TEST_CASE("loss math: the focal pixel gradient is the derivative of its value") {
  for (const float g : {0.0f, 1.0f})
    for (const float gamma : {0.0f, 0.5f, 2.0f})
      for (float z = -8.0f; z <= 8.0f; z += 0.37f) {
        const double h = 1e-3;
        const double num = (double(focal_pixel(logistic(float(z + h)), g, gamma, 0.3f).value) -
                            double(focal_pixel(logistic(float(z - h)), g, gamma, 0.3f).value)) /
                           (2 * h);
        const double ana = focal_pixel(logistic(z), g, gamma, 0.3f).dz;
        CHECK_MESSAGE(std::fabs(ana - num) <= 2e-4 + 1e-3 * std::fabs(num),
                      "g " << g << " gamma " << gamma << " z " << z << ": " << ana << " vs " << num);
      }
}

TEST_CASE("loss kernels: the separable CPU bands equal the per-pixel 3x3 rule the CUDA kernel uses") {
  // Random small masks, including images one pixel high or wide (both border rules at once).
  uint32_t state = 12345u;
  auto next = [&] { return state = state * 1664525u + 1013904223u; };
  int mismatches = 0;
  for (int trial = 0; trial < 500; ++trial) {
    const int64_t N = 1 + next() % 3, H = 1 + next() % 7, W = 1 + next() % 7;
    std::vector<float> g(static_cast<size_t>(N * H * W)), c(g.size()), b(g.size());
    for (float& v : g) v = (next() >> 16) % 2 ? 1.0f : 0.0f;
    contour_bands_cpu(g.data(), c.data(), b.data(), N, H, W);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t y = 0; y < H; ++y)
        for (int64_t x = 0; x < W; ++x) {
          float cc, bb;
          band_pixel(g.data() + n * H * W, y, x, H, W, cc, bb);
          const size_t i = static_cast<size_t>((n * H + y) * W + x);
          mismatches += (cc != c[i] || bb != b[i]) ? 1 : 0;
        }
  }
  CHECK(mismatches == 0);
}
