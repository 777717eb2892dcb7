// CPU twin of pool.cu: the same per-position math (pool.cuh) in OpenMP loops over planes.
// Every output is written by one thread from a fixed order of reads, so results do not depend
// on the thread count.
#include "kernels/pool.cuh"
#include "kernels/pool.h"

namespace fbd::kernels {

size_t avg_pool_workspace_bytes(const PoolGeom& g) { return size_t(g.planes * g.H * g.Wo) * sizeof(float); }

void max_pool_forward_cpu(const float* x, float* y, int32_t* idx, const PoolGeom& g) {
  const int64_t out = g.Ho * g.Wo;
#pragma omp parallel for schedule(static) if (g.planes * out * g.kh * g.kw > kCpuParallelThreshold)
  for (int64_t p = 0; p < g.planes; ++p) {
    const float* xp = x + p * g.H * g.W;
    for (int64_t oh = 0; oh < g.Ho; ++oh)
      for (int64_t ow = 0; ow < g.Wo; ++ow) {
        const int64_t o = p * out + oh * g.Wo + ow;
        y[o] = max_pool_at(xp, oh, ow, g, idx[o]);
      }
  }
}

// The CPU backward scatters each output's gradient to its argmax (one thread per plane, so the
// order is fixed); the CUDA kernel gathers instead, to avoid atomics. Same sums, other order.
void max_pool_backward_cpu(const float* gy, const int32_t* idx, float* gx, const PoolGeom& g) {
  const int64_t out = g.Ho * g.Wo, in = g.H * g.W;
#pragma omp parallel for schedule(static) if (g.planes * in > kCpuParallelThreshold)
  for (int64_t p = 0; p < g.planes; ++p) {
    float* xp = gx + p * in;
    for (int64_t i = 0; i < in; ++i) xp[i] = 0.0f;
    const float* gp = gy + p * out;
    const int32_t* ip = idx + p * out;
    for (int64_t o = 0; o < out; ++o) xp[ip[o]] += gp[o];
  }
}

void avg_pool_forward_cpu(const float* x, float* y, const PoolGeom& g, bool cip, float* t) {
  const bool par = g.planes * g.H * g.Wo * (g.kh + g.kw) > kCpuParallelThreshold;
#pragma omp parallel for schedule(static) if (par)
  for (int64_t p = 0; p < g.planes; ++p) {
    const float* xp = x + p * g.H * g.W;
    float* tp = t + p * g.H * g.Wo;
    float* yp = y + p * g.Ho * g.Wo;
    for (int64_t h = 0; h < g.H; ++h)
      for (int64_t ow = 0; ow < g.Wo; ++ow) tp[h * g.Wo + ow] = avg_row_sum(xp, h, ow, g);
    for (int64_t oh = 0; oh < g.Ho; ++oh)
      for (int64_t ow = 0; ow < g.Wo; ++ow) yp[oh * g.Wo + ow] = avg_col_sum(tp, oh, ow, g, cip);
  }
}

void avg_pool_backward_cpu(const float* gy, float* gx, const PoolGeom& g, bool cip, float* u) {
  const bool par = g.planes * g.H * g.Wo * (g.kh + g.kw) > kCpuParallelThreshold;
#pragma omp parallel for schedule(static) if (par)
  for (int64_t p = 0; p < g.planes; ++p) {
    const float* gp = gy + p * g.Ho * g.Wo;
    float* up = u + p * g.H * g.Wo;
    float* xp = gx + p * g.H * g.W;
    for (int64_t h = 0; h < g.H; ++h)
      for (int64_t ow = 0; ow < g.Wo; ++ow) up[h * g.Wo + ow] = avg_grad_col(gp, h, ow, g, cip);
    for (int64_t h = 0; h < g.H; ++h)
      for (int64_t w = 0; w < g.W; ++w) xp[h * g.W + w] = avg_grad_row(up, h, w, g);
  }
}

}  // namespace fbd::kernels
