// Small helpers shared by the test suites.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"

namespace fbd::test {

// Deterministic values in [lo, hi) from the engine's own generator.
inline std::vector<float> random_values(int64_t n, float lo, float hi, uint64_t seed) {
  Generator gen(seed);
  Tensor t = Tensor::empty({n});
  uniform_(t, lo, hi, gen);
  return t.to_vector();
}

inline Tensor random_tensor(const Shape& shape, float lo, float hi, uint64_t seed, Device device = Device::cpu()) {
  return Tensor::from_vector(random_values(shape_numel(shape), lo, hi, seed), shape, device);
}

// Runs f and returns the message of the fbd::Error it throws ("" when it does not throw).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Whether a NaN in `expected` is a value the check must reproduce. By default every NaN, on
// either side, is a failure: a kernel that writes NaN where its twin does too is as wrong as
// one that writes it alone. Nan::Expected is for results that are NaN by definition (a metric
// of an empty mask): there NaN must meet NaN, and a NaN on one side only still fails.
enum class Nan { Fail, Expected };

// |a - b| <= tol + eps * |a| elementwise; reports the first failure with its index.
inline void check_close(const std::vector<float>& expected, const std::vector<float>& got, double tol, double eps,
                        const std::string& what, Nan nan = Nan::Fail) {
  REQUIRE_MESSAGE(expected.size() == got.size(), what << ": sizes " << expected.size() << " vs " << got.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const double a = expected[i], b = got[i];
    const bool both_nan = std::isnan(a) && std::isnan(b);
    const bool ok = both_nan ? nan == Nan::Expected : std::fabs(a - b) <= tol + eps * std::fabs(a);
    if (!ok) {
      if (both_nan)
        FAIL_CHECK(what << ": element " << i << " is NaN on both sides, and NaN is not expected here");
      else
        FAIL_CHECK(what << ": element " << i << " expected " << a << " got " << b << " (|diff| " << std::fabs(a - b)
                        << " > " << tol + eps * std::fabs(a) << ")");
      return;
    }
  }
}

}  // namespace fbd::test
