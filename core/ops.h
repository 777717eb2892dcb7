// Differentiable tensor ops. Each runs on the device of its inputs (CPU twin or CUDA kernel
// from kernels/), opens a profiler scope, and records a backward node when an input requires
// grad. All take and return float32 unless stated; inputs must share one device.
#pragma once
#include <vector>

#include "core/tensor.h"

namespace fbd {

// ---- binary, with NumPy broadcasting (e.g. [N,C,H,W] with [1,C,1,1] or [C,1,1]) ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);

// ---- unary ----
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor pow(const Tensor& x, float exponent);
Tensor clamp(const Tensor& x, float lo, float hi);
Tensor add_scalar(const Tensor& x, float s);
Tensor mul_scalar(const Tensor& x, float s);

// ---- reductions ----
Tensor sum(const Tensor& x);  // all elements -> shape []
Tensor mean(const Tensor& x);
// Over `axes` (negative counts from the end); keepdim leaves size-1 axes in place.
Tensor sum(const Tensor& x, const std::vector<int>& axes, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int>& axes, bool keepdim = false);

// ---- linear algebra ----
Tensor matmul(const Tensor& a, const Tensor& b);  // [M,K] x [K,N] -> [M,N] (cuBLAS / OpenBLAS)

// ---- shape ----
Tensor reshape(const Tensor& x, const Shape& shape);                  // = x.reshape(shape)
Tensor concat(const std::vector<Tensor>& xs, int axis);               // sizes may differ along axis only
Tensor slice(const Tensor& x, int axis, int64_t start, int64_t end);  // [start, end) along axis; copies
Tensor broadcast_to(const Tensor& x, const Shape& shape);             // NumPy rules; copies
Tensor transpose2d(const Tensor& x);                                  // [M,N] -> [N,M]

// ---- not differentiable ----
// Sums g over the axes along which `shape` was broadcast to g's shape (the adjoint of
// broadcast_to); used by the backward of every broadcasting op.
Tensor sum_to_shape(const Tensor& g, const Shape& shape);
Shape broadcast_shapes(const Shape& a, const Shape& b);  // throws on incompatible shapes
void fill_(Tensor& x, float value);                      // in place, any float tensor

// ---- operators ----
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& x) { return neg(x); }
inline Tensor operator+(const Tensor& x, float s) { return add_scalar(x, s); }
inline Tensor operator+(float s, const Tensor& x) { return add_scalar(x, s); }
inline Tensor operator-(const Tensor& x, float s) { return add_scalar(x, -s); }
inline Tensor operator-(float s, const Tensor& x) { return add_scalar(neg(x), s); }
inline Tensor operator*(const Tensor& x, float s) { return mul_scalar(x, s); }
inline Tensor operator*(float s, const Tensor& x) { return mul_scalar(x, s); }
inline Tensor operator/(const Tensor& x, float s) { return mul_scalar(x, 1.0f / s); }

}  // namespace fbd
