// CPU twin of structure_loss.cu: the weight map by running window sums (exact for binary masks),
// the loss by the deterministic image-chunk split of image_sums_cpu.h over the same
// per-pixel math (structure_loss.cuh).
#include <algorithm>
#include <vector>

#include "kernels/image_sums_cpu.h"
#include "kernels/structure_loss.cuh"

namespace fbd::kernels {

void structure_weight_cpu(const float* g, float* w, int64_t N, int64_t H, int64_t W, int radius, float scale) {
  const int64_t r = radius;
  std::vector<float> rows(static_cast<size_t>(N * H * W));
  // Window sums along each row: a running sum, adding the pixel entering on the right and
  // dropping the one leaving on the left (zero padding: absent pixels add nothing).
#pragma omp parallel for schedule(static) if (N * H * W > kCpuParallelThreshold)
  for (int64_t row = 0; row < N * H; ++row) {
    const float* in = g + row * W;
    float* out = rows.data() + row * W;
    float s = 0.0f;
    for (int64_t x = 0; x < std::min(r, W); ++x) s += in[x];
    for (int64_t x = 0; x < W; ++x) {
      if (x + r < W) s += in[x + r];
      if (x - r - 1 >= 0) s -= in[x - r - 1];
      out[x] = s;
    }
  }
  // Window sums down the columns, a row of W running sums at a time (vectorises over x).
  const int64_t col_block = 256, col_blocks = (W + col_block - 1) / col_block;
#pragma omp parallel for schedule(static) if (N * H * W > kCpuParallelThreshold)
  for (int64_t nb = 0; nb < N * col_blocks; ++nb) {
    const int64_t n = nb / col_blocks, x0 = (nb % col_blocks) * col_block, x1 = std::min(W, x0 + col_block);
    const float* rs = rows.data() + n * H * W;
    std::vector<float> acc(static_cast<size_t>(x1 - x0), 0.0f);
    for (int64_t y = 0; y < std::min(r, H); ++y)
      for (int64_t x = x0; x < x1; ++x) acc[size_t(x - x0)] += rs[y * W + x];
    for (int64_t y = 0; y < H; ++y) {
      if (y + r < H)
        for (int64_t x = x0; x < x1; ++x) acc[size_t(x - x0)] += rs[(y + r) * W + x];
      if (y - r - 1 >= 0)
        for (int64_t x = x0; x < x1; ++x) acc[size_t(x - x0)] -= rs[(y - r - 1) * W + x];
      const float* gy = g + (n * H + y) * W;
      float* wy = w + (n * H + y) * W;
      for (int64_t x = x0; x < x1; ++x) wy[x] = structure_weight_of(acc[size_t(x - x0)], gy[x], radius, scale);
    }
  }
}

void structure_loss_forward_cpu(const float* z, const float* g, const float* w, const float* phi, int64_t N, int64_t HW,
                                const StructureParams& p, float* sums, float* value) {
  const bool bd = p.lambda_bd != 0.0f && phi != nullptr;
  if (phi == nullptr) phi = z;
  std::vector<double> totals(static_cast<size_t>(N * kStructStats), 0.0);
  auto run = [&]<bool BD>() {
    cpu::image_sums<kStructStats>(
        N, HW, totals.data(), [&](int64_t n, int64_t begin, int64_t len, float(*tile)[cpu::kTile]) {
          const int64_t o = n * HW + begin;
          const float *zn = z + o, *gn = g + o, *wn = w + o, *pn = phi + o;
          for (int64_t i = 0; i < len; ++i) {
            const StructPixelStats s = structure_pixel_forward<BD>(zn[i], gn[i], wn[i], BD ? pn[i] : 0.0f);
            for_struct_stats(s, [&](int k, float v) { tile[k][i] = v; });
          }
          for (int64_t i = 0; i < len; ++i) tile[kStructStats - 1][i] = 0.0f;
        });
  };
  if (bd)
    run.template operator()<true>();
  else
    run.template operator()<false>();
  for (int64_t k = 0; k < N * kStructStats; ++k) sums[k] = static_cast<float>(totals[size_t(k)]);
  for (int k = 0; k < kStructStats; ++k) {
    double s = 0.0;
    for (int64_t n = 0; n < N; ++n) s += double(sums[n * kStructStats + k]);
    sums[N * kStructStats + k] = static_cast<float>(s);
  }
  *value = structure_loss_value(sums, N, HW, p);
}

void structure_loss_backward_cpu(const float* z, const float* g, const float* w, const float* phi, int64_t N,
                                 int64_t HW, const StructureParams& p, const float* sums, const float* grad_out,
                                 float* dz) {
  const bool bd = p.lambda_bd != 0.0f && phi != nullptr;
  if (phi == nullptr) phi = z;
  const float go = *grad_out;
  auto run = [&]<bool BD>() {
    cpu::for_image_chunks(N, HW, [&](int64_t n, int64_t begin, int64_t end) {
      const StructCoef c = structure_coef(sums, n, N, HW, p);
      const int64_t o = n * HW;
      const float *zn = z + o, *gn = g + o, *wn = w + o, *pn = phi + o;
      float* dn = dz + o;
      for (int64_t i = begin; i < end; ++i)
        dn[i] = go * structure_pixel_grad<BD>(zn[i], gn[i], wn[i], BD ? pn[i] : 0.0f, c);
    });
  };
  if (bd)
    run.template operator()<true>();
  else
    run.template operator()<false>();
}

}  // namespace fbd::kernels
