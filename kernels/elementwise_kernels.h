// Elementwise kernels: unary maps y = f(x), their backward gx = gy * f'(x, y), and binary ops
// with NumPy broadcasting. The math is in elementwise.cuh (shared by CPU and CUDA); the CUDA
// launches are in elementwise.cu, the OpenMP twins in elementwise_cpu.cpp.
//
// Each op list below is written once, one X(Name, "name") row per op, and everything else is
// generated from it: the enum, the count, the name, the runtime-to-compile-time dispatch used by
// both backends, and kAllUnaryOps / kAllBinaryOps, which the tests iterate. The static_asserts
// after the lists keep them consistent, and a row whose math is missing from elementwise.cuh
// (or, for a binary op, whose backward rule is missing from core/ops_elementwise.cpp) does not
// compile.
//
// Read in this order:
//   1. kernels/elementwise_kernels.h (this file): the op tables and the entry points, CPU and CUDA
//   2. kernels/elementwise.cuh: the per-element math both backends share
//   3. kernels/elementwise_cpu.cpp: the CPU twin
//   4. kernels/elementwise.cu: the CUDA kernels and how they split the work
//   5. core/ops_elementwise.cpp: the ops that call them, with their backward rules
#pragma once
#include <cstddef>
#include <iterator>
#include <string_view>

#include "kernels/common.h"

namespace fbd::kernels {

// a and b are the UnaryParams of the call.
// clang-format off
#define FBD_UNARY_OPS(X)                                 \
  X(Neg,       "neg")                                    \
  X(Exp,       "exp")                                    \
  X(Log,       "log")                                    \
  X(Sqrt,      "sqrt")                                   \
  X(Abs,       "abs")                                    \
  X(Sigmoid,   "sigmoid")                                \
  X(Tanh,      "tanh")                                   \
  X(Relu,      "relu")                                   \
  X(Pow,       "pow")        /* x^a */                   \
  X(Clamp,     "clamp")      /* min(max(x, a), b) */     \
  X(AddScalar, "add_scalar") /* x + a */                 \
  X(MulScalar, "mul_scalar") /* x * a */

#define FBD_BINARY_OPS(X) \
  X(Add, "add")           \
  X(Sub, "sub")           \
  X(Mul, "mul")           \
  X(Div, "div")
// clang-format on

#define FBD_OP_ENUMERATOR(Name, name) Name,
#define FBD_OP_NAME(Name, name) name,
#define FBD_OP_ROW_COUNT(Name, name) +1

enum class UnaryOp : int { FBD_UNARY_OPS(FBD_OP_ENUMERATOR) };
enum class BinaryOp : int { FBD_BINARY_OPS(FBD_OP_ENUMERATOR) };

#define FBD_UNARY_OP_VALUE(Name, name) UnaryOp::Name,
#define FBD_BINARY_OP_VALUE(Name, name) BinaryOp::Name,
// Every op in enum order: the tests loop over these, so a new row is tested without a list to update.
inline constexpr UnaryOp kAllUnaryOps[] = {FBD_UNARY_OPS(FBD_UNARY_OP_VALUE)};
inline constexpr BinaryOp kAllBinaryOps[] = {FBD_BINARY_OPS(FBD_BINARY_OP_VALUE)};
#undef FBD_UNARY_OP_VALUE
#undef FBD_BINARY_OP_VALUE

inline constexpr int kNumUnaryOps = 0 FBD_UNARY_OPS(FBD_OP_ROW_COUNT);
inline constexpr int kNumBinaryOps = 0 FBD_BINARY_OPS(FBD_OP_ROW_COUNT);

// The names, indexed by the op; also the profiler's and autograd's name of the op.
inline constexpr const char* kUnaryOpNames[] = {FBD_UNARY_OPS(FBD_OP_NAME)};
inline constexpr const char* kBinaryOpNames[] = {FBD_BINARY_OPS(FBD_OP_NAME)};
constexpr const char* unary_op_name(UnaryOp op) { return kUnaryOpNames[static_cast<int>(op)]; }
constexpr const char* binary_op_name(BinaryOp op) { return kBinaryOpNames[static_cast<int>(op)]; }

#undef FBD_OP_ENUMERATOR
#undef FBD_OP_NAME
#undef FBD_OP_ROW_COUNT

// Makes the last branch of an `if constexpr` chain over the ops a compile error:
// `else static_assert(always_false<OP>, "...")` fails for exactly the ops no branch handles.
template <auto>
inline constexpr bool always_false = false;

namespace op_table_checks {

// True when ops[i] == i for every i: the enum is 0..n-1 in row order, so an op indexes its name.
template <typename Op, size_t N>
constexpr bool in_row_order(const Op (&ops)[N]) {
  for (size_t i = 0; i < N; ++i)
    if (static_cast<size_t>(ops[i]) != i) return false;
  return true;
}

// True when no name is empty and no name appears twice, within and across the lists given.
template <size_t N, size_t M>
constexpr bool names_distinct(const char* const (&a)[N], const char* const (&b)[M]) {
  std::string_view all[N + M];
  for (size_t i = 0; i < N; ++i) all[i] = a[i];
  for (size_t i = 0; i < M; ++i) all[N + i] = b[i];
  for (size_t i = 0; i < N + M; ++i) {
    if (all[i].empty()) return false;
    for (size_t j = 0; j < i; ++j)
      if (all[i] == all[j]) return false;
  }
  return true;
}

}  // namespace op_table_checks

static_assert(std::size(kAllUnaryOps) == size_t(kNumUnaryOps) && std::size(kUnaryOpNames) == size_t(kNumUnaryOps),
              "kNumUnaryOps must be the number of rows of FBD_UNARY_OPS");
static_assert(std::size(kAllBinaryOps) == size_t(kNumBinaryOps) && std::size(kBinaryOpNames) == size_t(kNumBinaryOps),
              "kNumBinaryOps must be the number of rows of FBD_BINARY_OPS");
static_assert(op_table_checks::in_row_order(kAllUnaryOps) && op_table_checks::in_row_order(kAllBinaryOps),
              "UnaryOp and BinaryOp must be numbered 0..n-1 in row order (no explicit values)");
static_assert(op_table_checks::names_distinct(kUnaryOpNames, kBinaryOpNames),
              "every elementwise op needs a non-empty name used by no other op");

// Calls f.template operator()<OP>() with the compile-time op equal to the runtime `op`, so a
// launch compiles to straight-line code for that op with no per-element switch.
template <typename F>
void dispatch_unary(UnaryOp op, F&& f) {
#define FBD_UNARY_CASE(Name, name) \
  case UnaryOp::Name: f.template operator()<UnaryOp::Name>(); break;
  switch (op) { FBD_UNARY_OPS(FBD_UNARY_CASE) }
#undef FBD_UNARY_CASE
}

template <typename F>
void dispatch_binary(BinaryOp op, F&& f) {
#define FBD_BINARY_CASE(Name, name) \
  case BinaryOp::Name: f.template operator()<BinaryOp::Name>(); break;
  switch (op) { FBD_BINARY_OPS(FBD_BINARY_CASE) }
#undef FBD_BINARY_CASE
}

struct UnaryParams {
  float a = 0.0f;
  float b = 0.0f;
};

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
