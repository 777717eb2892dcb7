// Per-element math of the elementwise kernels, written once for the CPU twin and the CUDA
// kernel. Each op is a compile-time template argument, so a launch compiles to straight-line
// code with no per-element switch (dispatch_unary / dispatch_binary, elementwise_kernels.h).
// Every op of the tables in elementwise_kernels.h needs a branch in each function below; the
// final static_assert makes a missing one a compile error rather than a silent fallthrough.
//
//   op        y = f(x)                      gx = gy * f'(x)
//   Neg       -x                            -gy
//   Exp       e^x                           gy * y
//   Log       ln x                          gy / x
//   Sqrt      sqrt(x)                       gy * 0.5 / y
//   Abs       |x|                           gy * sign(x)            (sign(0) = 0, as PyTorch)
//   Sigmoid   1 / (1 + e^-x)  (stable form) gy * y * (1 - y)
//   Tanh      tanh x                        gy * (1 - y) (1 + y)    (no a*b + c to fuse: exact twins)
//   Relu      max(x, 0) (NaN stays NaN)     gy * [x > 0]
//   Pow       x^a                           gy * a * x^(a-1)
//   Clamp     min(max(x, a), b)             gy * [a <= x <= b]      (PyTorch's convention)
//   AddScalar x + a                         gy
//   MulScalar x * a                         gy * a
#pragma once
#include <cmath>

#include "kernels/common.h"
#include "kernels/elementwise_kernels.h"
#include "kernels/fast_math.cuh"

namespace fbd::kernels {

// Sigmoid without overflow and without a branch: with e = exp(-|x|) in (0, 1],
// sigmoid(x) = 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0.
FBD_HD float stable_sigmoid(float x) {
  const float e = fbd_expf(-fabsf(x));
  const float s = 1.0f / (1.0f + e);
  return x >= 0.0f ? s : e * s;
}

// tanh. On the device CUDA's tanhf (within 2 ulp). On the host, Cephes' single-precision tanhf
// without a branch, so the CPU loop vectorises: for |x| < 0.625 the odd polynomial
// x + x^3 P(x^2), where 1 - 2 / (e^2|x| + 1) would lose the low bits of a small result to
// cancellation; above it 1 - 2 / (e^2|x| + 1), which saturates to 1 without overflow (e = inf
// gives 2 / inf = 0); then the sign of x. Within 2 ulp over the float range; tanh(NaN) = NaN.
FBD_HD float fbd_tanhf(float x) {
#if defined(__CUDA_ARCH__)
  return tanhf(x);
#else
  const float a = fabsf(x), s = x * x;
  float p = -5.70498872745e-3f;
  p = p * s + 2.06390887954e-2f;
  p = p * s - 5.37397155531e-2f;
  p = p * s + 1.33314422036e-1f;
  p = p * s - 3.33332819422e-1f;
  const float small = p * s * a + a;
  const float large = 1.0f - 2.0f / (fbd_expf(2.0f * a) + 1.0f);
  const float t = a < 0.625f ? small : large;
  return x != x ? x : copysignf(t, x);
#endif
}

// One line per op, like the table above.
// clang-format off
template <UnaryOp OP>
FBD_HD float unary_fwd(float x, UnaryParams p) {
  if constexpr (OP == UnaryOp::Neg) return -x;
  else if constexpr (OP == UnaryOp::Exp) return fbd_expf(x);
  else if constexpr (OP == UnaryOp::Log) return fbd_logf(x);
  else if constexpr (OP == UnaryOp::Sqrt) return sqrtf(x);
  else if constexpr (OP == UnaryOp::Abs) return fabsf(x);
  else if constexpr (OP == UnaryOp::Sigmoid) return stable_sigmoid(x);
  else if constexpr (OP == UnaryOp::Tanh) return fbd_tanhf(x);
  else if constexpr (OP == UnaryOp::Relu) return x < 0.0f ? 0.0f : x;  // NaN stays NaN, as PyTorch
  else if constexpr (OP == UnaryOp::Pow) return powf(x, p.a);
  else if constexpr (OP == UnaryOp::Clamp) return fminf(fmaxf(x, p.a), p.b);
  else if constexpr (OP == UnaryOp::AddScalar) return x + p.a;
  else if constexpr (OP == UnaryOp::MulScalar) return x * p.a;
  else static_assert(always_false<OP>, "unary_fwd: no forward math for this UnaryOp");
}

template <UnaryOp OP>
FBD_HD float unary_bwd(float x, float y, float gy, UnaryParams p) {
  if constexpr (OP == UnaryOp::Neg) return -gy;
  else if constexpr (OP == UnaryOp::Exp) return gy * y;
  else if constexpr (OP == UnaryOp::Log) return gy / x;
  else if constexpr (OP == UnaryOp::Sqrt) return gy * 0.5f / y;
  else if constexpr (OP == UnaryOp::Abs) return x > 0.0f ? gy : (x < 0.0f ? -gy : 0.0f);
  else if constexpr (OP == UnaryOp::Sigmoid) return gy * y * (1.0f - y);
  else if constexpr (OP == UnaryOp::Tanh) return gy * ((1.0f - y) * (1.0f + y));
  else if constexpr (OP == UnaryOp::Relu) return x > 0.0f ? gy : 0.0f;
  else if constexpr (OP == UnaryOp::Pow) return gy * p.a * powf(x, p.a - 1.0f);
  else if constexpr (OP == UnaryOp::Clamp) return (x >= p.a && x <= p.b) ? gy : 0.0f;
  else if constexpr (OP == UnaryOp::AddScalar) return gy;
  else if constexpr (OP == UnaryOp::MulScalar) return gy * p.a;
  else static_assert(always_false<OP>, "unary_bwd: no backward math for this UnaryOp");
}

template <BinaryOp OP>
FBD_HD float binary_fn(float a, float b) {
  if constexpr (OP == BinaryOp::Add) return a + b;
  else if constexpr (OP == BinaryOp::Sub) return a - b;
  else if constexpr (OP == BinaryOp::Mul) return a * b;
  else if constexpr (OP == BinaryOp::Div) return a / b;
  else static_assert(always_false<OP>, "binary_fn: no math for this BinaryOp");
}

// clang-format on

}  // namespace fbd::kernels
