#include "core/cpu_gemm.h"

#include <cblas.h>
#include <omp.h>
#if FBD_WITH_ONEDNN
#include <oneapi/dnnl/dnnl.h>
#endif

#include <algorithm>
#include <memory>
#include <mutex>

#include "core/error.h"

namespace fbd::cpu {

namespace {

// Below this many multiply-adds one call on one thread is quicker than any split.
constexpr int64_t kSerialWork = int64_t(1) << 21;
// A part of a split keeps at least this many columns (rows) of C: OpenBLAS re-packs the other
// operand for every part, which costs little once a part is this wide.
constexpr int64_t kMinPart = 256;
constexpr int64_t kMaxParts = 16;
// Split-K: slices of this many terms, used when C is small and the reduction long.
constexpr int64_t kSliceK = 8192;
constexpr int64_t kMaxSlices = 64;

// One product on the calling thread.
void call(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda, const float* B,
          int64_t ldb, float beta, float* C, int64_t ldc) {
#if FBD_WITH_ONEDNN
  // oneDNN would split a call made outside a parallel region over the OpenMP team, and where
  // it splits K would depend on the thread count: one thread, as with OpenBLAS.
  const int threads = omp_get_max_threads();
  if (threads != 1) omp_set_num_threads(1);
  const dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  if (threads != 1) omp_set_num_threads(threads);
  FBD_CHECK(st == dnnl_success, "sgemm: oneDNN failed (status ", int(st), ") on ", M, "x", N, "x", K);
#else
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, int(M), int(N), int(K),
              alpha, A, int(lda), B, int(ldb), beta, C, int(ldc));
#endif
}

// Start of part p of P over n items, rounded down to a multiple of 16 floats (64 bytes).
int64_t part_begin(int64_t n, int64_t P, int64_t p) {
  if (p >= P) return n;
  return (n * p / P) & ~int64_t(15);
}

}  // namespace

void blas_use_one_thread() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

void sgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda, const float* B,
           int64_t ldb, float beta, float* C, int64_t ldc) {
  blas_use_one_thread();
  if (M == 0 || N == 0) return;
  if (K == 0) {  // C = beta C (BLAS would, but some builds skip beta scaling when K is 0)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
    return;
  }
  const int64_t work = M * N * K;
  if (work < kSerialWork || omp_get_level() > 0) {  // inside any parallel region: one thread
    call(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  // op(A) row i starts at A + i*lda (no transpose) or A + i (transposed); op(B) column j at
  // B + j (no transpose) or B + j*ldb (transposed).
  if (N >= M && N / kMinPart >= 2) {
    const int64_t P = std::min(kMaxParts, N / kMinPart);
#pragma omp parallel for schedule(static)
    for (int64_t p = 0; p < P; ++p) {
      const int64_t n0 = part_begin(N, P, p), n1 = part_begin(N, P, p + 1);
      call(ta, tb, M, n1 - n0, K, alpha, A, lda, tb ? B + n0 * ldb : B + n0, ldb, beta, C + n0, ldc);
    }
    return;
  }
  if (M > N && M / kMinPart >= 2) {
    const int64_t P = std::min(kMaxParts, M / kMinPart);
#pragma omp parallel for schedule(static)
    for (int64_t p = 0; p < P; ++p) {
      const int64_t m0 = part_begin(M, P, p), m1 = part_begin(M, P, p + 1);
      call(ta, tb, m1 - m0, N, K, alpha, ta ? A + m0 : A + m0 * lda, lda, B, ldb, beta, C + m0 * ldc, ldc);
    }
    return;
  }
  if (K >= 2 * kSliceK) {
    // Small C, long reduction: partial products over fixed slices of K, added in slice order.
    const int64_t S = std::min(kMaxSlices, K / kSliceK);
    std::unique_ptr<float[]> partial(new float[size_t(S * M * N)]);
#pragma omp parallel for schedule(static)
    for (int64_t s = 0; s < S; ++s) {
      const int64_t k0 = K * s / S, k1 = K * (s + 1) / S;
      const float* As = ta ? A + k0 * lda : A + k0;
      const float* Bs = tb ? B + k0 : B + k0 * ldb;
      call(ta, tb, M, N, k1 - k0, 1.0f, As, lda, Bs, ldb, 0.0f, partial.get() + s * M * N, N);
    }
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < M; ++i) {
      for (int64_t j = 0; j < N; ++j) {
        float acc = 0.0f;
        for (int64_t s = 0; s < S; ++s) acc += partial[size_t((s * M + i) * N + j)];
        float& c = C[i * ldc + j];
        c = beta == 0.0f ? alpha * acc : alpha * acc + beta * c;
      }
    }
    return;
  }
  call(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace fbd::cpu
