// CPU twin of shape_loss.cu. Compactness walks each image in fixed blocks of rows, keeping the
// sigmoid of the current and next row (and, backward, the a and b edge ratios of the previous
// row) in small buffers, so every inner loop runs along a row and vectorises; the sums use
// the fixed-order tile sums of image_sums_cpu.h, independent of the thread count.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/image_sums_cpu.h"
#include "kernels/shape_loss.cuh"

namespace fbd::kernels {

namespace {
constexpr int64_t kRowBlock = 32;

void sigmoid_row(const float* z, float* p, float* pq, int64_t W) {
  for (int64_t x = 0; x < W; ++x) {
    float pp, qq;
    sigmoid_pq(z[x], pp, qq);
    p[x] = pp;
    if (pq) pq[x] = pp * qq;
  }
}
}  // namespace

void compactness_forward_cpu(const float* z, int64_t N, int64_t H, int64_t W, float o, float* sums, float* value) {
  const int64_t blocks = (H + kRowBlock - 1) / kRowBlock;
  std::vector<double> partial(static_cast<size_t>(N * blocks * kCompactStats), 0.0);
#pragma omp parallel for schedule(static) if (N * H * W > kCpuParallelThreshold)
  for (int64_t nb = 0; nb < N * blocks; ++nb) {
    const int64_t n = nb / blocks, y0 = (nb % blocks) * kRowBlock, y1 = std::min(H, y0 + kRowBlock);
    const float* zi = z + n * H * W;
    std::vector<float> cur(static_cast<size_t>(W)), next(static_cast<size_t>(W)), s(static_cast<size_t>(W)),
        bad(static_cast<size_t>(W));
    double* acc = partial.data() + nb * kCompactStats;
    sigmoid_row(zi + y0 * W, cur.data(), nullptr, W);
    for (int64_t y = y0; y < y1; ++y) {
      const float* zr = zi + y * W;
      for (int64_t x = 0; x < W; ++x) bad[size_t(x)] = not_finite(zr[x]);
      acc[kCpArea] += cpu::tile_sum(cur.data(), W);
      acc[kCpBad] += cpu::tile_sum(bad.data(), W);
      if (y + 1 < H) {
        sigmoid_row(zr + W, next.data(), nullptr, W);
        for (int64_t x = 0; x + 1 < W; ++x)
          s[size_t(x)] = compact_edge(cur[size_t(x)], next[size_t(x)], cur[size_t(x + 1)], o).s;
        acc[kCpPerimeter] += cpu::tile_sum(s.data(), W - 1);
        std::swap(cur, next);
      }
    }
  }
  for (int64_t n = 0; n < N; ++n)
    for (int k = 0; k < kCompactStats; ++k) {
      double t = 0.0;
      for (int64_t b = 0; b < blocks; ++b) t += partial[size_t((n * blocks + b) * kCompactStats + k)];
      sums[n * kCompactStats + k] = static_cast<float>(t);
    }
  for (int k = 0; k < kCompactStats; ++k) {
    double t = 0.0;
    for (int64_t n = 0; n < N; ++n) t += double(sums[n * kCompactStats + k]);
    sums[N * kCompactStats + k] = static_cast<float>(t);
  }
  *value = compactness_value(sums, N);
}

void compactness_backward_cpu(const float* z, int64_t N, int64_t H, int64_t W, float o, const float* sums,
                              const float* grad_out, float* dz) {
  const float go = *grad_out;
  const int64_t blocks = (H + kRowBlock - 1) / kRowBlock;
#pragma omp parallel for schedule(static) if (N * H * W > kCpuParallelThreshold)
  for (int64_t nb = 0; nb < N * blocks; ++nb) {
    const int64_t n = nb / blocks, y0 = (nb % blocks) * kRowBlock, y1 = std::min(H, y0 + kRowBlock);
    const float* zi = z + n * H * W;
    float* di = dz + n * H * W;
    const CompactCoef c = compact_coef(sums, n, N);
    const size_t w = static_cast<size_t>(W);
    std::vector<float> prev(w), cur(w), next(w), pq(w), a_up(w, 0.0f), a(w), b(w);
    // Edge ratios of the row above the block (none above row 0).
    auto edges = [&](const float* p, const float* p_down, float* ra, float* rb) {
      for (int64_t x = 0; x + 1 < W; ++x) {
        const CompactEdge e = compact_edge(p[x], p_down[x], p[x + 1], o);
        ra[x] = e.a;
        rb[x] = e.b;
      }
      ra[W - 1] = 0.0f;
      rb[W - 1] = 0.0f;
    };
    sigmoid_row(zi + y0 * W, cur.data(), pq.data(), W);
    if (y0 > 0) {
      sigmoid_row(zi + (y0 - 1) * W, prev.data(), nullptr, W);
      std::vector<float> unused(w);
      edges(prev.data(), cur.data(), a_up.data(), unused.data());
    }
    for (int64_t y = y0; y < y1; ++y) {
      if (y + 1 < H) {
        sigmoid_row(zi + (y + 1) * W, next.data(), nullptr, W);
        edges(cur.data(), next.data(), a.data(), b.data());
      } else {
        std::fill(a.begin(), a.end(), 0.0f);  // the last row owns no edge term
        std::fill(b.begin(), b.end(), 0.0f);
      }
      float* dr = di + y * W;
      for (int64_t x = 0; x < W; ++x) {
        const float left_b = x > 0 ? b[size_t(x - 1)] : 0.0f;
        const float dP = -(a[size_t(x)] + b[size_t(x)]) + a_up[size_t(x)] + left_b;
        dr[x] = go * (c.r * pq[size_t(x)]) * (dP * c.k_dp - c.k_r);
      }
      if (y + 1 < y1) {
        std::swap(a_up, a);
        std::swap(cur, next);
        sigmoid_row(zi + (y + 1) * W, cur.data(), pq.data(), W);  // p and p q of the new current row
      }
    }
  }
}

// The 3x3 min and max separably (rows, then columns) with outside pixels 0, so every inner loop
// runs along a row and vectorises; for 0/1 masks this equals band_pixel (shape_loss.cuh), which the
// CUDA kernel evaluates per pixel (the tests compare the two exactly).
void contour_bands_cpu(const float* g, float* contour, float* background, int64_t N, int64_t H, int64_t W) {
#pragma omp parallel for schedule(static) if (N * H * W > kCpuParallelThreshold)
  for (int64_t n = 0; n < N; ++n) {
    const float* gi = g + n * H * W;
    const size_t hw = static_cast<size_t>(H * W);
    std::vector<float> rmin(hw), rmax(hw);
    for (int64_t y = 0; y < H; ++y) {
      const float* r = gi + y * W;
      float *lo = rmin.data() + y * W, *hi = rmax.data() + y * W;
      for (int64_t x = 0; x < W; ++x) {
        const float l = x > 0 ? r[x - 1] : 0.0f, c = r[x], rr = x + 1 < W ? r[x + 1] : 0.0f;
        const float m1 = l < c ? l : c, M1 = l > c ? l : c;
        lo[x] = m1 < rr ? m1 : rr;
        hi[x] = M1 > rr ? M1 : rr;
      }
    }
    for (int64_t y = 0; y < H; ++y) {
      const float* up_lo = y > 0 ? rmin.data() + (y - 1) * W : nullptr;
      const float* up_hi = y > 0 ? rmax.data() + (y - 1) * W : nullptr;
      const float* dn_lo = y + 1 < H ? rmin.data() + (y + 1) * W : nullptr;
      const float* dn_hi = y + 1 < H ? rmax.data() + (y + 1) * W : nullptr;
      const float *lo = rmin.data() + y * W, *hi = rmax.data() + y * W, *r = gi + y * W;
      float* c = contour + (n * H + y) * W;
      float* b = background + (n * H + y) * W;
      if (up_lo == nullptr || dn_lo == nullptr) {  // first or last row: the outside row is 0
        const float* ohi = up_hi ? up_hi : dn_hi;  // the other row inside the image, if any
        for (int64_t x = 0; x < W; ++x) {
          c[x] = r[x];  // min with an outside 0
          const float a = hi[x], o = ohi ? ohi[x] : 0.0f;
          b[x] = (a > o ? a : o) - r[x];
        }
        continue;
      }
      for (int64_t x = 0; x < W; ++x) {
        const float m1 = up_lo[x] < lo[x] ? up_lo[x] : lo[x];
        const float mn = m1 < dn_lo[x] ? m1 : dn_lo[x];
        const float M1 = up_hi[x] > hi[x] ? up_hi[x] : hi[x];
        const float mx = M1 > dn_hi[x] ? M1 : dn_hi[x];
        c[x] = r[x] - mn;
        b[x] = mx - r[x];
      }
    }
  }
}

void masked_means_forward_cpu(const float* T, const float* contour, const float* background, int64_t N, int64_t C,
                              int64_t HW, float* ec, float* eb, float* counts) {
  std::vector<double> s(static_cast<size_t>(N * C * 4));
  // Each (image, channel) plane as one "image" of the shared tile sums.
  cpu::image_sums<4>(N * C, HW, s.data(), [&](int64_t nc, int64_t begin, int64_t len, float(*tile)[cpu::kTile]) {
    const int64_t n = nc / C;
    const float* t = T + nc * HW + begin;
    const float* cb = contour + n * HW + begin;
    const float* bb = background + n * HW + begin;
    for (int64_t i = 0; i < len; ++i) {
      tile[0][i] = t[i] * cb[i];
      tile[1][i] = t[i] * bb[i];
      tile[2][i] = cb[i];
      tile[3][i] = bb[i];
    }
  });
  for (int64_t nc = 0; nc < N * C; ++nc) {
    const float cnt_c = static_cast<float>(s[size_t(nc * 4 + 2)]), cnt_b = static_cast<float>(s[size_t(nc * 4 + 3)]);
    ec[nc] = masked_mean(static_cast<float>(s[size_t(nc * 4 + 0)]), cnt_c);
    eb[nc] = masked_mean(static_cast<float>(s[size_t(nc * 4 + 1)]), cnt_b);
    if (nc % C == 0) {
      counts[(nc / C) * 2 + 0] = cnt_c;
      counts[(nc / C) * 2 + 1] = cnt_b;
    }
  }
}

void masked_means_backward_cpu(const float* contour, const float* background, const float* counts, const float* gec,
                               const float* geb, int64_t N, int64_t C, int64_t HW, float* dT) {
#pragma omp parallel for schedule(static) if (N * C * HW > kCpuParallelThreshold)
  for (int64_t nc = 0; nc < N * C; ++nc) {
    const int64_t n = nc / C;
    const float kc = gec[nc] * inverse_count(counts[n * 2]), kb = geb[nc] * inverse_count(counts[n * 2 + 1]);
    const float* cb = contour + n * HW;
    const float* bb = background + n * HW;
    float* d = dT + nc * HW;
    for (int64_t i = 0; i < HW; ++i) d[i] = kc * cb[i] + kb * bb[i];
  }
}

size_t smoothness_workspace_bytes(int64_t N, int64_t D) { return smooth_work_floats(N, D) * sizeof(float); }

void smoothness_forward_cpu(const float* xc, const float* xb, int64_t N, int64_t D, float margin, float* value) {
  std::vector<float> buf(smooth_work_floats(N, D));
  const SmoothWork w = smooth_work(buf.data(), N, D);
  smooth_normalize(xc, xb, N, D, w, 0, 1);
  *value = static_cast<float>(smooth_pairs(w, N, D, margin, 0, 1) / (double(N) * double(N)));
}

void smoothness_backward_cpu(const float* xc, const float* xb, int64_t N, int64_t D, float margin,
                             const float* grad_out, float* dxc, float* dxb) {
  std::vector<float> buf(smooth_work_floats(N, D));
  const SmoothWork w = smooth_work(buf.data(), N, D);
  smooth_normalize(xc, xb, N, D, w, 0, 1);
  smooth_pairs(w, N, D, margin, 0, 1);
  smooth_grad(w, N, D, margin, float(double(*grad_out) / (double(N) * double(N))), 0, 1);
  smooth_dots(w, N, D, 0, 1);
  smooth_unnormalize(w, N, D, dxc, dxb, 0, 1);
}

}  // namespace fbd::kernels
