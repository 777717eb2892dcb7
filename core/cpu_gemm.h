// Single-precision GEMM on the CPU for every caller in fbd (matmul, Linear, the im2col
// convolution): C = alpha op(A) op(B) + beta C, row-major, through oneDNN's sgemm where fbd is
// built with oneDNN (FBD_ONEDNN), else OpenBLAS. oneDNN picks its kernels by the CPU's features;
// Debian's OpenBLAS 0.3.21 picks them by CPU model and, on CPUs newer than it (Emerald Rapids),
// falls back to generic SSE3 kernels 4-6x slower (OPENBLAS_CORETYPE=SkylakeX or Haswell
// overrides it; scripts/common.sh sets it). Both run single-threaded per call.
//
// Threading: OpenBLAS (Debian's pthreads build) keeps its own thread pool, and fbd's kernels
// use an OpenMP team; with both on 2 cores each would spin while the other works. So OpenBLAS
// is set to one thread per caller (on first use, process-wide) and this function splits the
// product over the OpenMP threads itself: into column blocks of C when N is wide, row blocks
// when M is tall, and, when C is small but the reduction long (the weight gradient of a conv
// with few channels), into fixed-size slices of K whose partial products are added in order.
// Every split point depends on the shape only, never on the thread count.
#pragma once
#include <cstdint>

namespace fbd::cpu {

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// Makes OpenBLAS single-threaded (idempotent). sgemm calls it; exposed for benchmarks that
// call cblas directly.
void blas_use_one_thread();

}  // namespace fbd::cpu
