// CPU twin of cross_entropy.cu: the same per-row math (cross_entropy.cuh), one row per OpenMP
// iteration (two passes over the row, each in eight lanes: the max, then the exp sum with the
// plain sum and the bad count; the backward one pass), and the batch mean added in row order in
// double, so the result does not depend on the thread count.
#include "kernels/cross_entropy.cuh"
#include "kernels/cross_entropy_kernels.h"

namespace fbd::kernels {

void cross_entropy_forward_cpu(const float* z, const float* y, const CrossEntropyGeom& g, float* stats, float* value) {
  const int64_t N = g.N, K = g.K;
  float* lse_out = stats;
  float* loss_out = stats + N;
  float* bad_out = stats + 2 * N;
#pragma omp parallel for schedule(static) if (N * K > kCpuParallelThreshold)
  for (int64_t i = 0; i < N; ++i) {
    const float* zi = z + i * K;
    // Eight independent lanes (element k goes to lane k % 8, combined in a fixed order): a single
    // running max or sum is a dependency chain GCC may not reorder, and it kept the exp from
    // vectorising (the 256 x 1000 forward ran at PyTorch's speed, not ahead of it).
    constexpr int64_t L = 8;
    float mx[L];
    for (int64_t j = 0; j < L; ++j) mx[j] = -INFINITY;
    int64_t k = 0;
    for (; k + L <= K; k += L)
      for (int64_t j = 0; j < L; ++j) mx[j] = zi[k + j] > mx[j] ? zi[k + j] : mx[j];
    float m = -INFINITY;
    for (int64_t j = 0; j < L; ++j) m = mx[j] > m ? mx[j] : m;
    for (; k < K; ++k) m = zi[k] > m ? zi[k] : m;
    float se_l[L] = {}, zs_l[L] = {}, bad_l[L] = {};
    for (k = 0; k + L <= K; k += L)
      for (int64_t j = 0; j < L; ++j) {
        se_l[j] += fbd_expf(zi[k + j] - m);
        zs_l[j] += zi[k + j];
        bad_l[j] += ce_not_finite(zi[k + j]);
      }
    float se = 0.0f, zsum = 0.0f, bad = 0.0f;
    for (int64_t j = 0; j < L; ++j) {
      se += se_l[j];
      zsum += zs_l[j];
      bad += bad_l[j];
    }
    for (; k < K; ++k) {
      se += fbd_expf(zi[k] - m);
      zsum += zi[k];
      bad += ce_not_finite(zi[k]);
    }
    const bool valid = ce_label_valid(y[i], K);
    const float zy = valid ? zi[int64_t(y[i])] : NAN;
    const float lse = m + fbd_logf(se);
    lse_out[i] = lse;
    loss_out[i] = ce_row_loss(lse, zy, zsum, K, g.smoothing);
    bad_out[i] = bad + (valid ? 0.0f : 1.0f);
  }
  double total = 0.0, bad = 0.0;
  for (int64_t i = 0; i < N; ++i) {
    total += double(loss_out[i]);
    bad += double(bad_out[i]);
  }
  stats[3 * N] = float(bad);
  *value = float(total / double(N));
}

void cross_entropy_backward_cpu(const float* z, const float* y, const CrossEntropyGeom& g, const float* stats,
                                const float* grad_out, float* dz) {
  const int64_t N = g.N, K = g.K;
  const float scale = float(double(*grad_out) / double(N));
#pragma omp parallel for schedule(static) if (N * K > kCpuParallelThreshold)
  for (int64_t i = 0; i < N; ++i) {
    const float lse = stats[i];
    const int64_t yi = ce_label_valid(y[i], K) ? int64_t(y[i]) : -1;
    for (int64_t k = 0; k < K; ++k) dz[i * K + k] = ce_grad(z[i * K + k], lse, ce_target(k, yi, K, g.smoothing), scale);
  }
}

}  // namespace fbd::kernels
