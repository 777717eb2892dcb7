// Helpers shared by the loss test files: fixtures, and a finite-difference gradient check for
// scalar losses.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/npy.h"
#include "core/ops.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

namespace fbd::test {

inline Tensor loss_fixture(const std::string& name) { return read_npy(fixture("losses/" + name + ".npy")); }

// Finite-difference check of a scalar loss f(x) with respect to x.
//
// Central differences with step h on float32 inputs, the loss read back as float32. The
// rounding error of the estimate is about 2^-24 |L| / (2h) = 1e-6 |L| for h = 3e-2; the
// truncation error is h^2 |L'''| / 6, about 1.5e-4 of the derivative for functions of the
// logits that vary on a scale of 1 (sigmoid, softplus). An element passes when
//   |analytic - numeric| <= atol max(1, |L|) + rtol |numeric|
// with atol = 1e-5 and rtol = 1e-2 by default. Per-pixel gradients of these small problems
// are 1e-4 .. 1e-1 (a loss is a mean over ~40-170 pixels), so a wrong rule, and even a 5%
// error in one coefficient of the Dice gradient, fails (checked by mutating the kernel).
inline void loss_gradcheck(const std::string& name, const std::function<Tensor(const Tensor&)>& f, const Tensor& x0,
                           double h = 3e-2, double atol = 1e-5, double rtol = 1e-2) {
  INFO("loss: " << name);
  Tensor x = x0.detach().clone();
  x.requires_grad_();
  const Tensor L = f(x);
  REQUIRE(L.numel() == 1);
  const double Lv = L.item();
  REQUIRE_MESSAGE(std::isfinite(Lv), name << ": loss is " << Lv);
  L.backward();
  REQUIRE_MESSAGE(x.grad().defined(), name << ": no gradient reached the input");
  const std::vector<float> analytic = x.grad().to_vector();
  std::vector<float> values = x0.to_vector();
  int failures = 0;
  for (size_t j = 0; j < values.size() && failures < 5; ++j) {
    REQUIRE_MESSAGE(std::isfinite(analytic[j]), name << ": gradient element " << j << " is " << analytic[j]);
    const float v0 = values[j];
    auto eval = [&](float v) {
      values[j] = v;
      NoGradGuard no_grad;
      const double r = f(Tensor::from_vector(values, x0.shape(), x0.device())).item();
      values[j] = v0;
      return r;
    };
    const float xp = v0 + float(h), xm = v0 - float(h);
    const double numeric = (eval(xp) - eval(xm)) / (double(xp) - double(xm));
    const double err = std::fabs(double(analytic[j]) - numeric);
    const double tol = atol * std::max(1.0, std::fabs(Lv)) + rtol * std::fabs(numeric);
    if (err > tol) {
      ++failures;
      FAIL_CHECK(name << ": element " << j << " (x = " << v0 << ") analytic " << analytic[j] << " numeric " << numeric
                      << " |diff| " << err << " > " << tol);
    }
  }
}

// |ref - got| <= atol + 1e-6 max|ref| + rtol |ref| element-wise (the second term for elements
// that are sums of cancelling terms).
inline void check_values(const std::string& what, const std::vector<float>& ref, const std::vector<float>& got,
                         double atol, double rtol) {
  double scale = 0.0;
  for (float v : ref) scale = std::max(scale, double(std::fabs(v)));
  check_close(ref, got, atol + 1e-6 * scale, rtol, what);
}

// Runs `loss` on the fixture logits (on `device`), backpropagates, and compares value and
// gradient with the golden files NAME_value.npy and NAME_grad.npy of PyTorch (float64):
// values within 2e-6 + 2e-5 |ref|, gradient elements within 1e-7 + 1e-4 |ref|
// (tests/losses/test_golden_losses.cpp says why).
inline void golden(const std::string& name, const std::function<Tensor(const Tensor&)>& loss, const Tensor& logits,
                   Device device = Device::cpu()) {
  INFO("golden: " << name);
  Tensor z = logits.to(device).detach();
  z.requires_grad_();
  const Tensor L = loss(z);
  L.backward();
  check_values(name + " value", loss_fixture(name + "_value").to_vector(), {L.item()}, 2e-6, 2e-5);
  check_values(name + " gradient", loss_fixture(name + "_grad").to_vector(), z.grad().cpu().to_vector(), 1e-7, 1e-4);
}

}  // namespace fbd::test
