// Elementwise kernels: unary maps y = f(x), their backward gx = gy * f'(x, y), and binary ops
// with NumPy broadcasting. The math is in elementwise.cuh (shared by CPU and CUDA); the CUDA
// launches are in elementwise.cu, the OpenMP twins in elementwise_cpu.cpp.
#pragma once
#include "kernels/common.h"

namespace fbd::kernels {

enum class UnaryOp : int {
  Neg,
  Exp,
  Log,
  Sqrt,
  Abs,
  Sigmoid,
  Relu,
  Pow,        // x^a
  Clamp,      // min(max(x, a), b)
  AddScalar,  // x + a
  MulScalar,  // x * a
};
inline constexpr int kNumUnaryOps = 11;
const char* unary_op_name(UnaryOp op);

struct UnaryParams {
  float a = 0.0f;
  float b = 0.0f;
};

enum class BinaryOp : int { Add, Sub, Mul, Div };
const char* binary_op_name(BinaryOp op);

// y[i] = f(x[i]).
void unary_forward_cpu(UnaryOp op, const float* x, float* y, int64_t n, UnaryParams p);
void unary_forward_cuda(UnaryOp op, const float* x, float* y, int64_t n, UnaryParams p, Stream s);

// gx[i] = gy[i] * f'(x[i]) where f' may use the saved output y[i] (sigmoid, exp, sqrt).
void unary_backward_cpu(UnaryOp op, const float* x, const float* y, const float* gy, float* gx, int64_t n,
                        UnaryParams p);
void unary_backward_cuda(UnaryOp op, const float* x, const float* y, const float* gy, float* gx, int64_t n,
                         UnaryParams p, Stream s);

// out[i] = a[i] op b[i], all three of n elements (the common same-shape case). out may alias a or b.
void binary_cpu(BinaryOp op, const float* a, const float* b, float* out, int64_t n);
void binary_cuda(BinaryOp op, const float* a, const float* b, float* out, int64_t n, Stream s);

// Broadcast form: out is contiguous with d.shape; a and b are read through d.stride_a and
// d.stride_b (0 along broadcast dimensions).
void binary_broadcast_cpu(BinaryOp op, const float* a, const float* b, float* out, const StridedDims& d);
void binary_broadcast_cuda(BinaryOp op, const float* a, const float* b, float* out, const StridedDims& d, Stream s);

}  // namespace fbd::kernels
