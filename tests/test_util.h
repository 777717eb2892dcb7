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

// |a - b| <= tol + eps * |a| elementwise; reports the first failure with its index.
inline void check_close(const std::vector<float>& expected, const std::vector<float>& got, double tol, double eps,
                        const std::string& what) {
  REQUIRE_MESSAGE(expected.size() == got.size(), what << ": sizes " << expected.size() << " vs " << got.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    const double a = expected[i], b = got[i];
    const bool ok = (std::isnan(a) && std::isnan(b)) || std::fabs(a - b) <= tol + eps * std::fabs(a);
    if (!ok) {
      FAIL_CHECK(what << ": element " << i << " expected " << a << " got " << b << " (|diff| " << std::fabs(a - b)
                      << " > " << tol + eps * std::fabs(a) << ")");
      return;
    }
  }
}

}  // namespace fbd::test
