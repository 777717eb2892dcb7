// CPU twin of softmax_loss.cu. The CUDA kernel walks the classes inside each pixel; here a tile
// of 256 pixels is walked class by class (max, sum of exps, then p_k), so each inner loop runs
// over pixels and vectorises, and the per-pixel formulas (focal value and F, coefficients, the
// loss value) are the shared ones of softmax_loss.cuh. Sums: image_sums_cpu.h (fixed order).
#include <algorithm>
#include <vector>

#include "kernels/image_sums_cpu.h"
#include "kernels/softmax_loss.cuh"

namespace fbd::kernels {

namespace {
using cpu::kTile;

// The softmax of a tile of pixels, class by class: p[k] = e_k / sum e, e_k = exp(z_k - max z)
// (one exp per class and pixel, reused by the caller), lse = max z + log sum e, the label's
// logit, probability and class weight, w = 1 - p_y summed as sum over k != y of p_k, and
// `bad`: non-finite logits and invalid labels.
struct TileSoftmax {
  float p[kMaxClasses][kTile];
  float lse[kTile], zy[kTile], py[kTile], w[kTile], ay[kTile], bad[kTile];
};
// (Label validity is counted, not tested with floorf: a label is valid when exactly one class
// index equals it. Loop-invariant choices are made outside the loops or as 0/1 factors: GCC
// unswitches a loop on an invariant select and then fails to vectorise the copy with a dead load.)

void tile_softmax(const float* zn, const float* yn, int64_t HW, int64_t len, const SoftmaxLossParams& prm,
                  TileSoftmax& t) {
  const int K = prm.classes;
  float mx[kTile], se[kTile], hits[kTile];
  for (int64_t i = 0; i < len; ++i) {
    mx[i] = zn[i];
    se[i] = 0.0f;
    hits[i] = 0.0f;
    t.bad[i] = 0.0f;
    t.zy[i] = 0.0f;
    t.py[i] = 0.0f;
    t.w[i] = 0.0f;
    t.ay[i] = 0.0f;
  }
  for (int k = 1; k < K; ++k) {
    const float* zk = zn + k * HW;
    for (int64_t i = 0; i < len; ++i) {
      const float a = mx[i], b = zk[i];
      mx[i] = b > a ? b : a;
    }
  }
  for (int k = 0; k < K; ++k) {
    const float* zk = zn + k * HW;
    float* e = t.p[k];
    for (int64_t i = 0; i < len; ++i) {
      e[i] = fbd_expf(zk[i] - mx[i]);
      se[i] += e[i];
      t.bad[i] += not_finite(zk[i]);
    }
  }
  for (int64_t i = 0; i < len; ++i) {
    t.lse[i] = mx[i] + fbd_logf(se[i]);
    se[i] = 1.0f / se[i];
  }
  for (int k = 0; k < K; ++k) {
    const float* zk = zn + k * HW;
    float* pk = t.p[k];
    const float kf = float(k), a = prm.class_weight[k];
    for (int64_t i = 0; i < len; ++i) {
      const float pr = pk[i] * se[i];
      const bool g = yn[i] == kf;
      pk[i] = pr;
      t.zy[i] = g ? zk[i] : t.zy[i];
      t.py[i] = g ? pr : t.py[i];
      t.ay[i] = g ? a : t.ay[i];
      t.w[i] += g ? 0.0f : pr;
      hits[i] += g ? 1.0f : 0.0f;
    }
  }
  for (int64_t i = 0; i < len; ++i) t.bad[i] += hits[i] == 1.0f ? 0.0f : 1.0f;
}
}  // namespace

void softmax_loss_forward_cpu(const float* z, const float* y, const float* phi, int64_t N, int64_t HW,
                              const SoftmaxLossParams& p, float* sums, float* value) {
  const int K = p.classes, S = softmax_stat_count(K);
  const bool bd = p.w_bd != 0.0f && phi != nullptr;
  std::vector<double> totals(static_cast<size_t>(N * S));
  cpu::image_sums<softmax_stat_count(kMaxClasses)>(
      N, HW, totals.data(),
      [&](int64_t n, int64_t begin, int64_t len, float(*tile)[kTile]) {
        const SoftmaxLossParams prm = p;
        const float* zn = z + n * K * HW + begin;
        const float* yn = y + n * HW + begin;
        TileSoftmax t;
        tile_softmax(zn, yn, HW, len, prm, t);
        for (int k = 0; k < K; ++k) {
          const float* zk = zn + k * HW;
          const float* pk = bd ? phi + (n * K + k) * HW + begin : zk;
          const float kf = float(k), on = bd ? 1.0f : 0.0f;
          float *ti = tile[4 * k], *tp = tile[4 * k + 1], *tg = tile[4 * k + 2], *tb = tile[4 * k + 3];
          for (int64_t i = 0; i < len; ++i) {
            const float pr = t.p[k][i];
            const float g = yn[i] == kf ? 1.0f : 0.0f;
            ti[i] = pr * g;
            tp[i] = prm.squared ? pr * pr : pr;
            tg[i] = g;
            tb[i] = on * (pk[i] * pr);
            t.bad[i] += on * not_finite(pk[i]);
          }
        }
        float* tf = tile[4 * K];
        if (prm.w_focal != 0.0f) {
          for (int64_t i = 0; i < len; ++i) {
            const float l = t.zy[i] - t.lse[i];
            tf[i] = mc_focal(t.py[i], t.w[i], l, prm.gamma, t.ay[i]).value;
          }
        } else {
          std::fill(tf, tf + len, 0.0f);
        }
        std::copy(t.bad, t.bad + len, tile[4 * K + 1]);
      },
      S);
  for (int64_t k = 0; k < N * S; ++k) sums[k] = static_cast<float>(totals[size_t(k)]);
  for (int k = 0; k < S; ++k) {
    double s = 0.0;
    for (int64_t n = 0; n < N; ++n) s += double(sums[n * S + k]);
    sums[N * S + k] = static_cast<float>(s);
  }
  *value = softmax_loss_value(sums, N, HW, p);
}

void softmax_loss_backward_cpu(const float* z, const float* y, const float* phi, int64_t N, int64_t HW,
                               const SoftmaxLossParams& p, const float* sums, const float* grad_out, float* dz) {
  const int K = p.classes;
  const bool bd = p.w_bd != 0.0f && phi != nullptr;
  const bool focal = p.w_focal != 0.0f;
  const float go = *grad_out;
  cpu::for_image_chunks(N, HW, [&](int64_t n, int64_t begin, int64_t end) {
    const SoftmaxLossParams prm = p;
    const McCoef c = softmax_coef(sums, n, N, HW, prm);
    alignas(64) float C[kMaxClasses][kTile];
    float s[kTile], F[kTile];
    for (int64_t t0 = begin; t0 < end; t0 += kTile) {
      const int64_t len = std::min(kTile, end - t0);
      const float* zn = z + n * K * HW + t0;
      const float* yn = y + n * HW + t0;
      TileSoftmax t;
      tile_softmax(zn, yn, HW, len, prm, t);
      for (int64_t i = 0; i < len; ++i) s[i] = 0.0f;
      for (int k = 0; k < K; ++k) {
        const float* zk = zn + k * HW;
        const float* pk = bd ? phi + (n * K + k) * HW + t0 : zk;
        const float kf = float(k), da = c.da[k], db = c.db[k], dphi = bd ? c.dphi[k] : 0.0f;
        for (int64_t i = 0; i < len; ++i) {
          const float pr = t.p[k][i];
          const float g = yn[i] == kf ? 1.0f : 0.0f;
          const float ck = da * g + db * (prm.squared ? 2.0f * pr : 1.0f) + dphi * pk[i];
          C[k][i] = ck;
          s[i] += pr * ck;
        }
      }
      if (focal) {
        for (int64_t i = 0; i < len; ++i) {
          const float l = t.zy[i] - t.lse[i];
          F[i] = c.focal * mc_focal(t.py[i], t.w[i], l, prm.gamma, t.ay[i]).F;
        }
      } else {
        std::fill(F, F + len, 0.0f);
      }
      for (int k = 0; k < K; ++k) {
        float* dk = dz + (n * K + k) * HW + t0;
        const float kf = float(k);
        for (int64_t i = 0; i < len; ++i) {
          const float g = yn[i] == kf ? 1.0f : 0.0f;
          const float pr = t.p[k][i];
          dk[i] = go * (pr * (C[k][i] - s[i]) + F[i] * (g - pr));
        }
      }
    }
  });
}

}  // namespace fbd::kernels
