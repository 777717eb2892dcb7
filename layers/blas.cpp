#include "layers/blas.h"

#include "core/cpu_gemm.h"
#include "core/cuda_context.h"

#if FBD_WITH_CUDA
#include "core/cuda_check.h"
#endif

namespace fbd::nn::detail {

void gemm(Device on, bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  FBD_CHECK(M < (int64_t(1) << 31) && N < (int64_t(1) << 31) && K < (int64_t(1) << 31) && lda < (int64_t(1) << 31) &&
                ldb < (int64_t(1) << 31) && ldc < (int64_t(1) << 31),
            "gemm: a dimension exceeds 2^31");
  if (on.is_cpu()) {
    cpu::sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
#if FBD_WITH_CUDA
  if (M == 0 || N == 0) return;
  // cuBLAS is column-major. A row-major C (M x N, ld ldc) is the column-major C^T, and
  // C^T = op(B)^T op(A)^T: swap the operands and keep each one's transpose flag.
  FBD_CUBLAS_CHECK(cublasSgemm(cuda::cublas(on.index), tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N,
                               int(N), int(M), int(K), &alpha, B, int(ldb), A, int(lda), &beta, C, int(ldc)));
#else
  FBD_FAIL("gemm: fbd was built without CUDA");
#endif
}

}  // namespace fbd::nn::detail
