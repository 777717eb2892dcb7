// CPU twin of pool.cu: the same per-position math (pool.cuh) in OpenMP loops over planes.
// Every output is written by one thread from a fixed order of reads, so results do not depend
// on the thread count.
#include <vector>

#include "kernels/pool.cuh"
#include "kernels/pool_kernels.h"

namespace fbd::kernels {

size_t avg_pool_workspace_bytes(const PoolGeom& g) { return size_t(g.planes * g.H * g.Wo) * sizeof(float); }

// Forward: the windows of every output row and column are computed once per call; the
// common 2x2 / stride 2 / no padding case runs as a straight loop over row pairs.
void max_pool_forward_cpu(const float* x, float* y, int32_t* idx, const PoolGeom& g) {
  const int64_t out = g.Ho * g.Wo;
  std::vector<Window1d> wh(static_cast<size_t>(g.Ho)), ww(static_cast<size_t>(g.Wo));
  for (int64_t o = 0; o < g.Ho; ++o) wh[size_t(o)] = pool_window(o, g.kh, g.sh, g.ph, g.H);
  for (int64_t o = 0; o < g.Wo; ++o) ww[size_t(o)] = pool_window(o, g.kw, g.sw, g.pw, g.W);
  // (Only where every window is whole: with ceil_mode the last row or column may hold one.)
  const bool two =
      g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0 && 2 * g.Ho <= g.H && 2 * g.Wo <= g.W;
#pragma omp parallel for schedule(static) if (g.planes * out * g.kh * g.kw > kCpuParallelThreshold)
  for (int64_t p = 0; p < g.planes; ++p) {
    const float* xp = x + p * g.H * g.W;
    float* yp = y + p * out;
    int32_t* ip = idx + p * out;
    for (int64_t oh = 0; oh < g.Ho; ++oh) {
      if (two) {
        const float* r0 = xp + 2 * oh * g.W;
        const float* r1 = r0 + g.W;
        for (int64_t ow = 0; ow < g.Wo; ++ow) {
          // Candidates in row-major order; a later one wins only if larger or NaN.
          const int64_t c = 2 * ow;
          float best = r0[c];
          int64_t bi = 2 * oh * g.W + c;
          const float v[3] = {r0[c + 1], r1[c], r1[c + 1]};
          const int64_t at[3] = {bi + 1, bi + g.W, bi + g.W + 1};
          for (int k = 0; k < 3; ++k)
            if (!(best != best) && (v[k] > best || v[k] != v[k])) best = v[k], bi = at[k];
          yp[oh * g.Wo + ow] = best;
          ip[oh * g.Wo + ow] = int32_t(bi);
        }
        continue;
      }
      const Window1d h = wh[size_t(oh)];
      for (int64_t ow = 0; ow < g.Wo; ++ow) {
        const Window1d w = ww[size_t(ow)];
        float best = -INFINITY;
        int64_t bi = h.lo * g.W + w.lo;
        for (int64_t r = h.lo; r < h.hi && best == best; ++r)
          for (int64_t c = w.lo; c < w.hi; ++c) {
            const float v = xp[r * g.W + c];
            if (v > best || v != v) {
              best = v;
              bi = r * g.W + c;
              if (v != v) break;
            }
          }
        yp[oh * g.Wo + ow] = best;
        ip[oh * g.Wo + ow] = int32_t(bi);
      }
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

namespace {

// Per-axis tables for average pooling: each output's window, and each input's covering
// outputs. The arithmetic below is avg_row_sum / avg_col_sum / avg_grad_col / avg_grad_row of
// pool.cuh term for term (same operands, same order), so the CPU and CUDA agree bit for bit;
// the tables only save recomputing the windows per element.
struct AvgTables {
  std::vector<Window1d> wh, ww;
  std::vector<int64_t> ch, cw;  // covering output ranges, [first, last) per input index
  AvgTables(const PoolGeom& g)
      : wh(static_cast<size_t>(g.Ho)),
        ww(static_cast<size_t>(g.Wo)),
        ch(static_cast<size_t>(2 * g.H)),
        cw(static_cast<size_t>(2 * g.W)) {
    for (int64_t o = 0; o < g.Ho; ++o) wh[size_t(o)] = pool_window(o, g.kh, g.sh, g.ph, g.H);
    for (int64_t o = 0; o < g.Wo; ++o) ww[size_t(o)] = pool_window(o, g.kw, g.sw, g.pw, g.W);
    for (int64_t i = 0; i < g.H; ++i)
      pool_outputs_covering(i, g.kh, g.sh, g.ph, g.Ho, ch[size_t(2 * i)], ch[size_t(2 * i + 1)]);
    for (int64_t i = 0; i < g.W; ++i)
      pool_outputs_covering(i, g.kw, g.sw, g.pw, g.Wo, cw[size_t(2 * i)], cw[size_t(2 * i + 1)]);
  }
};

// 2x2 / stride 2 / no padding with every window whole (the encoders' downsampling): one pass
// over row pairs, no row-sum buffer and no window tables, vectorised (GCC splits even and odd
// columns with permutes). The operations are the general path's for this window, in its order:
// t = (0 + a) + b per row, y = ((0 + t0) + t1) / 4, so results are identical bit for bit (the
// leading 0 + turns a -0 into +0 there, and here). The divisor is 4 with or without
// count_include_pad, and / 4 is exact, as * 0.25 would be.
bool avg_pool_is_2x2(const PoolGeom& g) {
  return g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0 && 2 * g.Ho <= g.H &&
         2 * g.Wo <= g.W;
}

void avg_pool_2x2_forward(const float* x, float* y, const PoolGeom& g) {
  const int64_t H = g.H, W = g.W, Ho = g.Ho, Wo = g.Wo;
#pragma omp parallel for schedule(static) if (g.planes * H * W > kCpuParallelThreshold)
  for (int64_t p = 0; p < g.planes; ++p)
    for (int64_t oh = 0; oh < Ho; ++oh) {
      const float* r0 = x + (p * H + 2 * oh) * W;
      const float* r1 = r0 + W;
      float* yr = y + (p * Ho + oh) * Wo;
#pragma omp simd
      for (int64_t ow = 0; ow < Wo; ++ow) {
        const float t0 = (0.0f + r0[2 * ow]) + r0[2 * ow + 1];
        const float t1 = (0.0f + r1[2 * ow]) + r1[2 * ow + 1];
        yr[ow] = ((0.0f + t0) + t1) / 4.0f;
      }
    }
}

// The adjoint: each input takes 0 + gy / 4 of the one output covering it (the general path's
// u = 0 + gy / 4, then gx = 0 + u); rows and columns past the last window (odd H or W) get 0.
void avg_pool_2x2_backward(const float* gy, float* gx, const PoolGeom& g) {
  const int64_t H = g.H, W = g.W, Ho = g.Ho, Wo = g.Wo;
#pragma omp parallel for schedule(static) if (g.planes * H * W > kCpuParallelThreshold)
  for (int64_t p = 0; p < g.planes; ++p) {
    for (int64_t h = 0; h < H; ++h) {
      float* xr = gx + (p * H + h) * W;
      if (h >= 2 * Ho) {
        for (int64_t w = 0; w < W; ++w) xr[w] = 0.0f;
        continue;
      }
      const float* gr = gy + (p * Ho + h / 2) * Wo;
#pragma omp simd
      for (int64_t ow = 0; ow < Wo; ++ow) {
        const float v = 0.0f + gr[ow] / 4.0f;
        xr[2 * ow] = v;
        xr[2 * ow + 1] = v;
      }
      for (int64_t w = 2 * Wo; w < W; ++w) xr[w] = 0.0f;
    }
  }
}

}  // namespace

void avg_pool_forward_cpu(const float* x, float* y, const PoolGeom& g, bool cip, float* t) {
  if (avg_pool_is_2x2(g)) {
    avg_pool_2x2_forward(x, y, g);
    return;
  }
  const AvgTables tb(g);
  const bool par = g.planes * g.H * g.Wo * (g.kh + g.kw) > kCpuParallelThreshold;
#pragma omp parallel for schedule(static) if (par)
  for (int64_t p = 0; p < g.planes; ++p) {
    const float* xp = x + p * g.H * g.W;
    float* tp = t + p * g.H * g.Wo;
    float* yp = y + p * g.Ho * g.Wo;
    for (int64_t h = 0; h < g.H; ++h)
      for (int64_t ow = 0; ow < g.Wo; ++ow) {
        const Window1d w = tb.ww[size_t(ow)];
        float acc = 0.0f;
        for (int64_t c = w.lo; c < w.hi; ++c) acc += xp[h * g.W + c];
        tp[h * g.Wo + ow] = acc;
      }
    for (int64_t oh = 0; oh < g.Ho; ++oh) {
      const Window1d wh = tb.wh[size_t(oh)];
      for (int64_t ow = 0; ow < g.Wo; ++ow) {
        float acc = 0.0f;
        for (int64_t r = wh.lo; r < wh.hi; ++r) acc += tp[r * g.Wo + ow];
        yp[oh * g.Wo + ow] = acc / avg_divisor(wh, tb.ww[size_t(ow)], cip);
      }
    }
  }
}

void avg_pool_backward_cpu(const float* gy, float* gx, const PoolGeom& g, bool cip, float* u) {
  if (avg_pool_is_2x2(g)) {
    avg_pool_2x2_backward(gy, gx, g);
    return;
  }
  const AvgTables tb(g);
  const bool par = g.planes * g.H * g.Wo * (g.kh + g.kw) > kCpuParallelThreshold;
#pragma omp parallel for schedule(static) if (par)
  for (int64_t p = 0; p < g.planes; ++p) {
    const float* gp = gy + p * g.Ho * g.Wo;
    float* up = u + p * g.H * g.Wo;
    float* xp = gx + p * g.H * g.W;
    for (int64_t h = 0; h < g.H; ++h) {
      const int64_t oh0 = tb.ch[size_t(2 * h)], oh1 = tb.ch[size_t(2 * h + 1)];
      for (int64_t ow = 0; ow < g.Wo; ++ow) {
        const Window1d ww = tb.ww[size_t(ow)];
        float acc = 0.0f;
        for (int64_t oh = oh0; oh < oh1; ++oh) acc += gp[oh * g.Wo + ow] / avg_divisor(tb.wh[size_t(oh)], ww, cip);
        up[h * g.Wo + ow] = acc;
      }
    }
    for (int64_t h = 0; h < g.H; ++h)
      for (int64_t w = 0; w < g.W; ++w) {
        float acc = 0.0f;
        for (int64_t ow = tb.cw[size_t(2 * w)]; ow < tb.cw[size_t(2 * w + 1)]; ++ow) acc += up[h * g.Wo + ow];
        xp[h * g.W + w] = acc;
      }
  }
}

}  // namespace fbd::kernels
