// CLAHE (Zuiderveld 1994) with the conventions of OpenCV's cv::CLAHE, written from its
// definition (see data/augment.h for the steps).
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.h"
#include "data/augment.h"
#include "data/filter.h"

namespace fbd::data {

void clahe(Image& img, double clip_limit, int tiles_x, int tiles_y) {
  FBD_CHECK(tiles_x >= 1 && tiles_y >= 1, "clahe: tile grid must be at least 1x1, got ", tiles_x, "x", tiles_y);
  if (img.empty()) return;
  constexpr int kBins = 256;
  const int64_t H = img.height, W = img.width;
  // Quantise to 8 bits.
  std::vector<uint8_t> q(img.px.size());
  for (size_t i = 0; i < q.size(); ++i) {
    const float v = std::isnan(img.px[i]) ? 0.0f : std::clamp(img.px[i], 0.0f, 1.0f);
    q[i] = uint8_t(std::lrint(v * 255.0f));
  }
  // Tile size over the image padded (reflect-101) to a multiple of the grid.
  const int64_t tw = (W + tiles_x - 1) / tiles_x, th = (H + tiles_y - 1) / tiles_y;
  const int64_t tile_area = tw * th;
  int clip = 0;
  if (clip_limit > 0.0) clip = std::max(1, int(clip_limit * double(tile_area) / kBins));
  const float lut_scale = float(kBins - 1) / float(tile_area);

  std::vector<uint8_t> lut(static_cast<size_t>(tiles_x) * size_t(tiles_y) * kBins);
  std::vector<int> hist(kBins);
  for (int ty = 0; ty < tiles_y; ++ty)
    for (int tx = 0; tx < tiles_x; ++tx) {
      std::fill(hist.begin(), hist.end(), 0);
      for (int64_t y = ty * th; y < (ty + 1) * th; ++y) {
        const int64_t sy = reflect101(y, H);
        for (int64_t x = tx * tw; x < (tx + 1) * tw; ++x) ++hist[q[size_t(sy * W + reflect101(x, W))]];
      }
      if (clip > 0) {
        int excess = 0;
        for (int& h : hist)
          if (h > clip) {
            excess += h - clip;
            h = clip;
          }
        const int batch = excess / kBins;
        int residual = excess - batch * kBins;
        for (int& h : hist) h += batch;
        if (residual > 0) {
          const int step = std::max(kBins / residual, 1);
          for (int i = 0; i < kBins && residual > 0; i += step, --residual) ++hist[size_t(i)];
        }
      }
      uint8_t* t = &lut[(size_t(ty) * size_t(tiles_x) + size_t(tx)) * kBins];
      int sum = 0;
      for (int i = 0; i < kBins; ++i) {
        sum += hist[size_t(i)];
        t[i] = uint8_t(std::clamp(std::lrint(float(sum) * lut_scale), 0L, 255L));
      }
    }

  const float inv_tw = 1.0f / float(tw), inv_th = 1.0f / float(th);
  for (int64_t y = 0; y < H; ++y) {
    const float tyf = float(y) * inv_th - 0.5f;
    const int ty_lo = int(std::floor(tyf));
    const float ya = tyf - float(ty_lo);
    const int ty1 = std::max(ty_lo, 0), ty2 = std::min(ty_lo + 1, tiles_y - 1);
    for (int64_t x = 0; x < W; ++x) {
      const float txf = float(x) * inv_tw - 0.5f;
      const int tx_lo = int(std::floor(txf));
      const float xa = txf - float(tx_lo);
      const int tx1 = std::max(tx_lo, 0), tx2 = std::min(tx_lo + 1, tiles_x - 1);
      const size_t v = q[size_t(y * W + x)];
      auto L = [&](int ty, int tx) { return float(lut[(size_t(ty) * size_t(tiles_x) + size_t(tx)) * kBins + v]); };
      const float top = L(ty1, tx1) * (1.0f - xa) + L(ty1, tx2) * xa;
      const float bottom = L(ty2, tx1) * (1.0f - xa) + L(ty2, tx2) * xa;
      const float res = top * (1.0f - ya) + bottom * ya;
      img.px[size_t(y * W + x)] = float(std::clamp(std::lrint(res), 0L, 255L)) / 255.0f;
    }
  }
}

}  // namespace fbd::data
