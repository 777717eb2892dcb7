// Direct 3x3 convolution on the CPU (see conv_direct.h for the scheme). Written with GCC/Clang
// vector extensions (16 floats = one AVX-512 register, two AVX2 registers elsewhere); the
// accumulator tiles are small fixed arrays that the compiler keeps in registers.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/conv_direct_kernels.h"

namespace fbd::kernels {

namespace {

using v16 = float __attribute__((vector_size(64)));
constexpr int64_t kLanes = 16;
constexpr int KB = 8;  // output channels per register tile

inline v16 load(const float* p) {
  v16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, v16 v, int64_t lanes) {
  if (lanes == kLanes) {
    std::memcpy(p, &v, sizeof v);
  } else {
    float t[kLanes];
    std::memcpy(t, &v, sizeof v);
    for (int64_t i = 0; i < lanes; ++i) p[i] = t[i];
  }
}
inline float hsum(v16 v) {
  float t[kLanes];
  std::memcpy(t, &v, sizeof v);
  float s = 0.0f;
  for (int64_t i = 0; i < kLanes; ++i) s += t[i];
  return s;
}

int64_t round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }

// Padded layout of a convolution input for the direct kernels: rows Ho + 2, columns
// round_up(Wo, 16) + 2, the data at (top, left).
struct Pad {
  int64_t Hp, Wp, Wr;  // padded rows, padded columns, output columns rounded up to 16
  int64_t plane() const { return Hp * Wp; }
};
Pad pad_dims(int64_t Ho, int64_t Wo) {
  Pad p;
  p.Wr = round_up(Wo, kLanes);
  p.Wp = p.Wr + 2;
  p.Hp = Ho + 2;
  return p;
}

bool outer_parallel(int64_t work) { return work > kCpuParallelThreshold && omp_get_level() == 0; }

// xp[n][c] = x[n][c] placed at (top, left) in a zeroed Hp x Wp plane (rows/columns of x that
// fall outside the plane are dropped; that happens only for the backward-data padding).
void pad_planes(const float* x, int64_t planes, int64_t H, int64_t W, int64_t top, int64_t left, const Pad& p,
                float* xp) {
#pragma omp parallel for schedule(static) if (outer_parallel(planes * p.plane()))
  for (int64_t pl = 0; pl < planes; ++pl) {
    float* o = xp + pl * p.plane();
    std::memset(o, 0, size_t(p.plane()) * sizeof(float));
    const float* in = x + pl * H * W;
    for (int64_t h = 0; h < H; ++h) {
      const int64_t r = h + top;
      if (r < 0 || r >= p.Hp) continue;
      const int64_t c0 = std::max<int64_t>(0, -left), c1 = std::min<int64_t>(W, p.Wp - left);
      if (c1 > c0) std::memcpy(o + r * p.Wp + c0 + left, in + h * W + c0, size_t(c1 - c0) * sizeof(float));
    }
  }
}

// Packs weights for the forward tile: wp[block][c][ky][kx][KB] from w[k][c][ky][kx]
// (flip = false), or, for the backward data pass, from w transposed and flipped:
// w'[o][i][ky][kx] = w[i][o][2 - ky][2 - kx] (o ranges over C, i over K). Channels past the
// last block's end are zero.
void pack_weights(const float* w, int64_t out, int64_t in, bool flip, float* wp) {
  const int64_t blocks = (out + KB - 1) / KB;
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t i = 0; i < in; ++i)
      for (int64_t t = 0; t < 9; ++t)
        for (int64_t k = 0; k < KB; ++k) {
          const int64_t o = b * KB + k;
          float v = 0.0f;
          if (o < out) v = flip ? w[(i * out + o) * 9 + (8 - t)] : w[(o * in + i) * 9 + t];
          wp[((b * in + i) * 9 + t) * KB + k] = v;
        }
}

// One register tile: KB output channels x T*16 columns at padded position `x0` (row oh,
// column ow of input channel 0), summed over C input channels and the 3x3 taps.
template <int T>
inline void tile(const float* x0, int64_t C, int64_t plane, int64_t Wp, const float* wb, v16 (&acc)[KB][T]) {
  for (int k = 0; k < KB; ++k)
    for (int t = 0; t < T; ++t) acc[k][t] = v16{};
  for (int64_t c = 0; c < C; ++c) {
    for (int ky = 0; ky < 3; ++ky) {
      const float* row = x0 + c * plane + ky * Wp;
      const float* wk = wb + (c * 9 + ky * 3) * KB;
#pragma GCC unroll 3
      for (int kx = 0; kx < 3; ++kx) {
        v16 xv[T];
#pragma GCC unroll 2
        for (int t = 0; t < T; ++t) xv[t] = load(row + kx + kLanes * t);
#pragma GCC unroll 8
        for (int k = 0; k < KB; ++k) {
          const float wv = wk[kx * KB + k];
#pragma GCC unroll 2
          for (int t = 0; t < T; ++t) acc[k][t] += wv * xv[t];
        }
      }
    }
  }
}

// y[n][o][oh][ow] = sum over the padded input xp (C planes) with packed weights wp, plus bias.
void direct_conv(const float* xp, const Pad& p, int64_t N, int64_t C, const float* wp, const float* bias, float* y,
                 int64_t out, int64_t Ho, int64_t Wo) {
  const int64_t blocks = (out + KB - 1) / KB, rows_per_item = 4;
  const int64_t row_items = (Ho + rows_per_item - 1) / rows_per_item, items = N * blocks * row_items;
#pragma omp parallel for schedule(dynamic, 1) if (outer_parallel(N * out * Ho * Wo * C))
  for (int64_t it = 0; it < items; ++it) {
    const int64_t n = it / (blocks * row_items), b = (it / row_items) % blocks, r0 = (it % row_items) * rows_per_item;
    const int64_t kn = std::min<int64_t>(KB, out - b * KB);
    const float* wb = wp + b * C * 9 * KB;
    const float* xs = xp + n * C * p.plane();
    float* ys = y + (n * out + b * KB) * Ho * Wo;
    for (int64_t oh = r0; oh < std::min(Ho, r0 + rows_per_item); ++oh) {
      auto emit = [&](auto& acc, int64_t ow, int t_count) {
        for (int64_t k = 0; k < kn; ++k) {
          const float bv = bias ? bias[b * KB + k] : 0.0f;
          for (int t = 0; t < t_count; ++t) {
            const int64_t col = ow + kLanes * t;
            if (col >= Wo) break;
            store(ys + (k * Ho + oh) * Wo + col, acc[k][t] + bv, std::min(kLanes, Wo - col));
          }
        }
      };
      int64_t ow = 0;
      for (; ow + 2 * kLanes <= Wo; ow += 2 * kLanes) {
        v16 acc[KB][2];
        tile<2>(xs + oh * p.Wp + ow, C, p.plane(), p.Wp, wb, acc);
        emit(acc, ow, 2);
      }
      for (; ow < Wo; ow += kLanes) {
        v16 acc[KB][1];
        tile<1>(xs + oh * p.Wp + ow, C, p.plane(), p.Wp, wb, acc);
        emit(acc, ow, 1);
      }
    }
  }
}

}  // namespace

bool conv_direct_applicable(const ConvGeom& g) {
  return g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.ph <= 2 && g.pw <= 2 &&
         g.Wo >= kLanes && g.H == g.Ho + 2 - 2 * g.ph && g.W == g.Wo + 2 - 2 * g.pw;
}

bool conv_direct_forward_preferred(int64_t K, const ConvGeom& g) { return conv_direct_applicable(g) && K >= 4; }
bool conv_direct_backward_data_preferred(int64_t, const ConvGeom& g) { return conv_direct_applicable(g) && g.C >= 4; }
bool conv_direct_backward_filter_preferred(int64_t, const ConvGeom& g) {
  return conv_direct_applicable(g) && g.Wo >= 32;
}

size_t conv_direct_forward_workspace(int64_t N, int64_t K, const ConvGeom& g) {
  const Pad p = pad_dims(g.Ho, g.Wo);
  return size_t(N * g.C * p.plane() + round_up(K, KB) * g.C * 9);
}

size_t conv_direct_backward_data_workspace(int64_t N, int64_t K, const ConvGeom& g) {
  const Pad p = pad_dims(g.H, g.W);  // the "output" of this pass is dx
  return size_t(N * K * p.plane() + round_up(g.C, KB) * K * 9);
}

size_t conv_direct_backward_filter_workspace(int64_t N, int64_t K, const ConvGeom& g) {
  const Pad p = pad_dims(g.Ho, g.Wo);
  return size_t(N * g.C * p.plane() + N * round_up(K, KB) * g.Ho * p.Wr);
}

void conv_direct_forward_cpu(const float* x, const float* w, const float* bias, float* y, int64_t N, int64_t K,
                             const ConvGeom& g, float* ws) {
  const Pad p = pad_dims(g.Ho, g.Wo);
  float* xp = ws;
  float* wp = ws + N * g.C * p.plane();
  pad_planes(x, N * g.C, g.H, g.W, g.ph, g.pw, p, xp);
  pack_weights(w, K, g.C, false, wp);
  direct_conv(xp, p, N, g.C, wp, bias, y, K, g.Ho, g.Wo);
}

void conv_direct_backward_data_cpu(const float* dy, const float* w, float* dx, int64_t N, int64_t K, const ConvGeom& g,
                                   float* ws) {
  // dx = conv(dy padded by 2 - p, w transposed and flipped): a stride-1 3x3 convolution from
  // K channels of Ho x Wo to C channels of H x W.
  const Pad p = pad_dims(g.H, g.W);
  float* dyp = ws;
  float* wp = ws + N * K * p.plane();
  pad_planes(dy, N * K, g.Ho, g.Wo, 2 - g.ph, 2 - g.pw, p, dyp);
  pack_weights(w, g.C, K, true, wp);
  direct_conv(dyp, p, N, K, wp, nullptr, dx, g.C, g.H, g.W);
}

void conv_direct_backward_filter_cpu(const float* x, const float* dy, float* dw, int64_t N, int64_t K,
                                     const ConvGeom& g, float* ws) {
  const Pad p = pad_dims(g.Ho, g.Wo);
  const int64_t Kr = round_up(K, KB), dplane = g.Ho * p.Wr;
  float* xp = ws;
  float* dyp = ws + N * g.C * p.plane();
  pad_planes(x, N * g.C, g.H, g.W, g.ph, g.pw, p, xp);
  // dy with its rows widened to Wr (zeros past Wo) and zero planes up to Kr channels, so every
  // 16-lane product past the edge is 0 * (padding or data).
#pragma omp parallel for schedule(static) if (outer_parallel(N * Kr * dplane))
  for (int64_t pl = 0; pl < N * Kr; ++pl) {
    const int64_t n = pl / Kr, k = pl % Kr;
    float* o = dyp + pl * dplane;
    std::memset(o, 0, size_t(dplane) * sizeof(float));
    if (k >= K) continue;
    for (int64_t h = 0; h < g.Ho; ++h)
      std::memcpy(o + h * p.Wr, dy + ((n * K + k) * g.Ho + h) * g.Wo, size_t(g.Wo) * sizeof(float));
  }
  // Work items: (channel block, group of kCg input channels). Each item sweeps the pixels in
  // chunks of kRows rows; inside a chunk it runs over its channels and the three kernel rows,
  // so the chunk of dy (KB planes x kRows rows, ~12 KB) is read from L1 3 * kCg times. The
  // KB x 3 accumulators of each (channel, kernel row) live in `part` between chunks.
  constexpr int64_t kCg = 8, kRows = 4;
  const int64_t blocks = Kr / KB, groups = (g.C + kCg - 1) / kCg, items = blocks * groups;
#pragma omp parallel for schedule(dynamic, 1) if (outer_parallel(N * K * g.C * dplane))
  for (int64_t it = 0; it < items; ++it) {
    const int64_t b = it / groups, c0 = (it % groups) * kCg, cn = std::min(kCg, g.C - c0);
    std::vector<v16> part(static_cast<size_t>(kCg * 3 * KB * 3), v16{});
    for (int64_t n = 0; n < N; ++n) {
      const float* ds = dyp + (n * Kr + b * KB) * dplane;
      for (int64_t r0 = 0; r0 < g.Ho; r0 += kRows) {
        const int64_t r1 = std::min(g.Ho, r0 + kRows);
        for (int64_t ci = 0; ci < cn; ++ci) {
          const float* xs = xp + (n * g.C + c0 + ci) * p.plane();
          for (int ky = 0; ky < 3; ++ky) {
            v16* pa = part.data() + (ci * 3 + ky) * KB * 3;
            v16 acc[KB][3];
            for (int k = 0; k < KB; ++k)
              for (int kx = 0; kx < 3; ++kx) acc[k][kx] = pa[k * 3 + kx];
            for (int64_t oh = r0; oh < r1; ++oh) {
              const float* xr = xs + (oh + ky) * p.Wp;
              const float* dr = ds + oh * p.Wr;
              for (int64_t ow = 0; ow < p.Wr; ow += kLanes) {
                const v16 x0 = load(xr + ow), x1 = load(xr + ow + 1), x2 = load(xr + ow + 2);
#pragma GCC unroll 8
                for (int k = 0; k < KB; ++k) {
                  const v16 d = load(dr + k * dplane + ow);
                  acc[k][0] += d * x0;
                  acc[k][1] += d * x1;
                  acc[k][2] += d * x2;
                }
              }
            }
            for (int k = 0; k < KB; ++k)
              for (int kx = 0; kx < 3; ++kx) pa[k * 3 + kx] = acc[k][kx];
          }
        }
      }
    }
    for (int64_t ci = 0; ci < cn; ++ci)
      for (int ky = 0; ky < 3; ++ky)
        for (int64_t k = 0; k < KB && b * KB + k < K; ++k)
          for (int kx = 0; kx < 3; ++kx)
            dw[((b * KB + k) * g.C + c0 + ci) * 9 + ky * 3 + kx] =
                hsum(part[size_t(((ci * 3 + ky) * KB + k) * 3 + kx)]);
  }
}

}  // namespace fbd::kernels
