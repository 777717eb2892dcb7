// Finite-difference gradient check for the layer tests (the method of
// tests/core/test_gradcheck.cpp): L = sum(w * f(inputs)) with fixed random weights w; every
// element of every input (the layer's input and its parameters) is perturbed by +-h and the
// central difference compared with backward().
//
// h = 1e-3 on float32; pass when |analytic - numeric| <= 2e-3 + 1e-2 |numeric|. The rounding
// error of the numeric estimate is about 2^-24 |L-terms| / h ~ 6e-5 per unit of output, the
// truncation error h^2 |f'''| / 6 is ~1e-7 for these smooth maps; a wrong index, weight or
// missing term gives O(1) relative errors. Inputs to max pooling and LeakyReLU keep their
// values more than 10 h from ties and kinks.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "tests/test_util.h"

namespace fbd::test {

using LayerFn = std::function<Tensor(const std::vector<Tensor>&)>;

inline void gradcheck(const std::string& name, const LayerFn& f, std::vector<Tensor> inputs, double h = 1e-3,
                      double atol = 2e-3, double rtol = 1e-2) {
  INFO("layer: " << name);
  for (Tensor& t : inputs) t.requires_grad_();
  const Tensor out = f(inputs);
  const std::vector<float> w = random_values(std::max<int64_t>(out.numel(), 1), -1, 1, 4242);
  const Tensor wt = Tensor::from_vector(std::vector<float>(w.begin(), w.begin() + out.numel()), out.shape());
  sum(mul(out, wt)).backward();
  for (size_t i = 0; i < inputs.size(); ++i) {
    REQUIRE_MESSAGE(inputs[i].grad().defined(), name << ": no gradient reached input " << i);
    const std::vector<float> analytic = inputs[i].grad().to_vector();
    std::vector<float> values = inputs[i].to_vector();
    int failures = 0;
    for (size_t j = 0; j < values.size() && failures < 3; ++j) {
      const float x0 = values[j];
      auto eval = [&](float xj) {
        values[j] = xj;
        std::vector<Tensor> perturbed;
        for (size_t k = 0; k < inputs.size(); ++k)
          perturbed.push_back(k == i ? Tensor::from_vector(values, inputs[i].shape()) : inputs[k].detach());
        NoGradGuard no_grad;
        const std::vector<float> y = f(perturbed).to_vector();
        double L = 0;
        for (size_t k = 0; k < y.size(); ++k) L += double(y[k]) * w[k];
        values[j] = x0;
        return L;
      };
      const float xp = x0 + float(h), xm = x0 - float(h);
      const double numeric = (eval(xp) - eval(xm)) / (double(xp) - double(xm));
      const double err = std::fabs(analytic[j] - numeric);
      const bool ok = err <= atol + rtol * std::fabs(numeric);
      if (!ok) ++failures;
      CHECK_MESSAGE(
          ok, name << ": input " << i << " element " << j << " analytic " << analytic[j] << " numeric " << numeric);
    }
  }
}

// Distinct values (a shuffled grid with spacing `gap`, scaled into [lo, hi)), so max pooling
// has no near-ties and a perturbation of h < gap/10 never changes an argmax.
inline Tensor distinct_values(const Shape& s, float lo, float gap, uint64_t seed) {
  const int64_t n = shape_numel(s);
  std::vector<float> v(static_cast<size_t>(n));
  const std::vector<float> r = random_values(n, 0, 1, seed);
  std::vector<size_t> order(static_cast<size_t>(n));
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return r[a] < r[b]; });
  for (size_t k = 0; k < order.size(); ++k) v[order[k]] = lo + gap * float(k);
  return Tensor::from_vector(v, s);
}

// Random values at least `gap` away from 0 (for kinks at 0).
inline Tensor away_from_zero(const Shape& s, float lo, float hi, float gap, uint64_t seed) {
  std::vector<float> v = random_values(shape_numel(s), lo, hi, seed);
  for (float& x : v)
    if (std::fabs(x) < gap) x = x < 0 ? -gap : gap;
  return Tensor::from_vector(v, s);
}

}  // namespace fbd::test
