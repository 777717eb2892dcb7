// The host exp and log of kernels/fast_math.cuh against the correctly rounded values
// (double-precision libm rounded to float), in units in the last place, and their special cases.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/fast_math.cuh"

using namespace fbd::kernels;

namespace {
// Distance in representable floats between a and b (both finite, or both the same infinity).
int64_t ulp_distance(float a, float b) {
  if (a == b) return 0;
  int32_t ia, ib;
  std::memcpy(&ia, &a, 4);
  std::memcpy(&ib, &b, 4);
  const int64_t la = ia < 0 ? int64_t(INT32_MIN) - ia : ia, lb = ib < 0 ? int64_t(INT32_MIN) - ib : ib;
  return la > lb ? la - lb : lb - la;
}

// Every 2^8-th float bit pattern between lo and hi (16M+ points for the full range).
template <typename F>
void sweep(float lo, float hi, F&& f) {
  uint32_t ulo, uhi;
  std::memcpy(&ulo, &lo, 4);
  std::memcpy(&uhi, &hi, 4);
  // Positive range only here; callers pass positive bounds and handle signs themselves.
  for (uint64_t u = ulo; u <= uhi; u += 64) {
    float x;
    const uint32_t u32 = uint32_t(u);
    std::memcpy(&x, &u32, 4);
    f(x);
  }
}
}  // namespace

TEST_CASE("host exp is within 2 ulp of the correctly rounded value everywhere") {
  int64_t worst = 0;
  float worst_x = 0;
  auto check = [&](float x) {
    const float got = fbd_expf(x), want = float(std::exp(double(x)));
    const int64_t d = ulp_distance(got, want);
    if (d > worst) worst = d, worst_x = x;
  };
  sweep(1e-30f, 88.7f, check);
  sweep(1e-30f, 103.9f, [&](float x) { check(-x); });
  INFO("worst x " << worst_x);
  CHECK(worst <= 2);
  CHECK(fbd_expf(0.0f) == 1.0f);
  CHECK(fbd_expf(89.0f) == HUGE_VALF);
  CHECK(fbd_expf(-HUGE_VALF) == 0.0f);
  CHECK(fbd_expf(HUGE_VALF) == HUGE_VALF);
  CHECK(fbd_expf(-104.0f) == 0.0f);
  CHECK(std::isnan(fbd_expf(NAN)));
}

TEST_CASE("host log is within 2 ulp of the correctly rounded value everywhere") {
  int64_t worst = 0;
  float worst_x = 0;
  sweep(std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::max(), [&](float x) {
    const float got = fbd_logf(x), want = float(std::log(double(x)));
    const int64_t d = ulp_distance(got, want);
    if (d > worst) worst = d, worst_x = x;
  });
  INFO("worst x " << worst_x);
  CHECK(worst <= 2);
  CHECK(fbd_logf(1.0f) == 0.0f);
  CHECK(fbd_logf(0.0f) == -HUGE_VALF);
  CHECK(std::isnan(fbd_logf(-1.0f)));
  CHECK(fbd_logf(HUGE_VALF) == HUGE_VALF);
  CHECK(std::isnan(fbd_logf(NAN)));
}
