// Row-major float32 GEMM on the device of `on`: C = alpha op(A) op(B) + beta C, with
// op(X) = X^T when the flag is set. CPU: core/cpu_gemm.h (OpenBLAS split over the OpenMP
// threads); CUDA: cublasSgemm on fbd's stream (plain float32, no TF32). Pointers are raw
// device or host addresses of contiguous tensors; leading dimensions in elements.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace fbd::nn::detail {

void gemm(Device on, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

}  // namespace fbd::nn::detail
