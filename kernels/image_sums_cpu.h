// CPU scaffolding shared by the loss twins: K per-image sums of per-pixel quantities, computed
// deterministically and in a form GCC vectorises.
//
//   sums[n][k] = sum over pixels i of image n of value_k(n, i)
//
// Work split: each image is cut into chunks of kChunk pixels; OpenMP threads take (image, chunk)
// pairs with a static schedule; each chunk is walked in tiles of kTile pixels. For a tile the
// caller's `tile_fn(n, begin, len, tile)` fills tile[k][0..len) with the per-pixel values (a
// plain map loop, which vectorises); the tile is then summed lane-wise (16 float lanes, exact
// order) into double chunk sums, and the chunk sums of an image are added in chunk order.
// Every split point depends on the shape only, so the result is bit-identical for any
// thread count (tests/losses/test_seg_loss.cpp checks 1 and 3 threads).
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/common.h"

namespace fbd::kernels::cpu {

inline constexpr int64_t kTile = 256;
inline constexpr int64_t kChunk = 16384;  // a multiple of kTile
inline constexpr int kLanes = 16;

// Sum of v[0..len) in a fixed order: 16 float lanes (at most kTile / 16 = 16 adds each), then
// the lanes pairwise, in double.
inline double tile_sum(const float* v, int64_t len) {
  float lane[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= len; i += kLanes)
    for (int j = 0; j < kLanes; ++j) lane[j] += v[i + j];
  double tail = 0.0;
  for (; i < len; ++i) tail += v[i];
  double s = 0.0;
  for (int j = 0; j < kLanes; ++j) s += double(lane[j]);
  return s + tail;
}

// TileFn: void(int64_t n, int64_t begin, int64_t len, float (*tile)[kTile]), filling rows
// 0..rows-1 of the tile (rows <= K; sums has N * rows entries).
template <int K, typename TileFn>
void image_sums(int64_t N, int64_t HW, double* sums, TileFn&& tile_fn, int rows = K) {
  const int64_t chunks = std::max<int64_t>(1, (HW + kChunk - 1) / kChunk);
  std::vector<double> partial(static_cast<size_t>(N * chunks * rows), 0.0);
#pragma omp parallel for schedule(static) if (N * HW > kCpuParallelThreshold)
  for (int64_t nc = 0; nc < N * chunks; ++nc) {
    const int64_t n = nc / chunks, c = nc % chunks;
    const int64_t begin = c * kChunk, end = std::min(HW, begin + kChunk);
    alignas(64) float tile[K][kTile];
    double* acc = partial.data() + nc * rows;
    for (int64_t t = begin; t < end; t += kTile) {
      const int64_t len = std::min(kTile, end - t);
      tile_fn(n, t, len, tile);
      for (int k = 0; k < rows; ++k) acc[k] += tile_sum(tile[k], len);
    }
  }
  for (int64_t n = 0; n < N; ++n)
    for (int k = 0; k < rows; ++k) {
      double s = 0.0;
      for (int64_t c = 0; c < chunks; ++c) s += partial[size_t((n * chunks + c) * rows + k)];
      sums[n * rows + k] = s;
    }
}

// Runs fn(n, begin, end) over the same (image, chunk) split, in parallel: the backward passes,
// where every pixel is independent and per-image coefficients are looked up once per chunk.
template <typename ChunkFn>
void for_image_chunks(int64_t N, int64_t HW, ChunkFn&& fn) {
  const int64_t chunks = std::max<int64_t>(1, (HW + kChunk - 1) / kChunk);
#pragma omp parallel for schedule(static) if (N * HW > kCpuParallelThreshold)
  for (int64_t nc = 0; nc < N * chunks; ++nc) {
    const int64_t n = nc / chunks, c = nc % chunks;
    fn(n, c * kChunk, std::min(HW, (c + 1) * kChunk));
  }
}

}  // namespace fbd::kernels::cpu
