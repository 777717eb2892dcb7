// matmul through BLAS: OpenBLAS sgemm on the CPU (split over the OpenMP threads, core/cpu_gemm.h),
// cuBLAS sgemm on CUDA.
#include "core/autograd.h"
#include "core/cpu_gemm.h"
#include "core/op_util.h"
#include "core/ops.h"
#include "core/profiler.h"

#if FBD_WITH_CUDA
#include "core/cuda_check.h"
#endif

namespace fbd {

namespace {

// C[M,N] = op(A) op(B), row-major; op(A) is M x K (A stored K x M when ta), op(B) K x N.
void gemm(bool ta, bool tb, const Tensor& A, const Tensor& B, Tensor& C, int64_t M, int64_t N, int64_t K) {
  const int64_t lda = ta ? M : K, ldb = tb ? K : N;
  detail::dispatch(
      C, "matmul",
      [&] { cpu::sgemm(ta, tb, M, N, K, 1.0f, A.data<float>(), lda, B.data<float>(), ldb, 0.0f, C.data<float>(), N); },
      [&](kernels::Stream) {
#if FBD_WITH_CUDA
        // cuBLAS is column-major: a row-major C is a column-major C^T = op(B)^T op(A)^T, so
        // swap the operands and pass the same transpose flags.
        const float one = 1.0f, zero = 0.0f;
        FBD_CUBLAS_CHECK(cublasSgemm(cuda::cublas(C.device().index), tb ? CUBLAS_OP_T : CUBLAS_OP_N,
                                     ta ? CUBLAS_OP_T : CUBLAS_OP_N, int(N), int(M), int(K), &one, B.data<float>(),
                                     int(ldb), A.data<float>(), int(lda), &zero, C.data<float>(), int(N)));
#endif
      });
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  detail::check_float(a, "matmul");
  detail::check_float(b, "matmul");
  detail::check_same_device(a, b, "matmul");
  FBD_CHECK(a.dim() == 2 && b.dim() == 2 && a.shape()[1] == b.shape()[0], "matmul: shapes ", shape_str(a.shape()),
            " and ", shape_str(b.shape()), " do not multiply (expected [M,K] x [K,N])");
  const int64_t M = a.shape()[0], K = a.shape()[1], N = b.shape()[1];
  FBD_CHECK(M < (int64_t(1) << 31) && N < (int64_t(1) << 31) && K < (int64_t(1) << 31), "matmul: dimension too large");
  profiler::Scope scope("matmul", a.device());
  Tensor c = Tensor::empty({M, N}, DType::F32, a.device());
  if (K == 0) {
    fill_(c, 0.0f);
  } else if (M > 0 && N > 0) {
    gemm(false, false, a, b, c, M, N, K);
  }
  scope.add_bytes(a.nbytes() + b.nbytes() + c.nbytes());
  if (needs_grad({&a, &b})) {
    Tensor ad = a.detach(), bd = b.detach();
    const bool ga = a.requires_grad(), gb = b.requires_grad();
    record(c, "matmul", {a, b}, [ad, bd, ga, gb, M, N, K](const Tensor& g) {
      Tensor da, db;
      if (ga) {  // dA = dC B^T : [M,N] x [N,K]
        da = Tensor::empty({M, K}, DType::F32, g.device());
        if (N == 0)
          fill_(da, 0.0f);
        else if (M > 0 && K > 0)
          gemm(false, true, g, bd, da, M, K, N);
      }
      if (gb) {  // dB = A^T dC : [K,M] x [M,N]
        db = Tensor::empty({K, N}, DType::F32, g.device());
        if (M == 0)
          fill_(db, 0.0f);
        else if (K > 0 && N > 0)
          gemm(true, false, ad, g, db, K, N, M);
      }
      return std::vector<Tensor>{da, db};
    });
  }
  return c;
}

}  // namespace fbd
