// CPU twin of binary_loss.cu: the same per-pixel math (binary_loss.cuh) over the deterministic
// image-chunk split of image_sums_cpu.h. Forward: per-pixel contributions into tiles, summed
// lane-wise into double; backward: a map loop per chunk with the image's coefficients.
// Both inner loops vectorise (checked with -fopt-info-vec, docs/kernels/binary_loss.md).
#include <array>
#include <vector>

#include "kernels/binary_loss.cuh"
#include "kernels/image_sums_cpu.h"

namespace fbd::kernels {

namespace {
// The sums a term set produces, in BinaryStat order (the inactive ones are never stored, so the
// tile loop holds only useful work and vectorises).
template <uint32_t T>
constexpr bool stat_active(int k) {
  return binary_stat_active(T, k);
}
template <uint32_t T>
constexpr int stat_count() {
  int c = 0;
  for (int k = 0; k < kBinaryStats; ++k) c += stat_active<T>(k) ? 1 : 0;
  return c;
}
// Row of `stat` in the compact tile (its rank among the active stats).
template <uint32_t T>
constexpr int compact_row(int stat) {
  int c = 0;
  for (int k = 0; k < stat; ++k) c += stat_active<T>(k) ? 1 : 0;
  return c;
}
template <uint32_t T>
constexpr std::array<int, stat_count<T>()> stat_index() {
  std::array<int, stat_count<T>()> idx{};
  int c = 0;
  for (int k = 0; k < kBinaryStats; ++k)
    if (stat_active<T>(k)) idx[size_t(c++)] = k;
  return idx;
}
}  // namespace

void binary_loss_forward_cpu(const float* z, const float* g, const float* phi, int64_t N, int64_t HW,
                             const BinaryLossParams& p, float* sums, float* value) {
  if (g == nullptr) g = z;      // the boundary term alone has no target (never read then)
  if (phi == nullptr) phi = z;  // only the all-terms instance reads phi without the boundary term (weight 0)
  std::vector<double> totals(static_cast<size_t>(N * kBinaryStats), 0.0);
  dispatch_binary_terms(p.terms, [&]<uint32_t T>() {
    constexpr bool kPhi = (T & kBinaryBoundary) != 0;
    constexpr bool kG = binary_reads_target(T);
    constexpr int K = stat_count<T>();
    constexpr std::array<int, K> idx = stat_index<T>();
    std::vector<double> compact(static_cast<size_t>(N * K));
    cpu::image_sums<K>(N, HW, compact.data(), [&](int64_t n, int64_t begin, int64_t len, float(*tile)[cpu::kTile]) {
      const BinaryLossParams prm = p;  // a local copy: no aliasing with the tile
      const float* zn = z + n * HW + begin;
      const float* gn = g + n * HW + begin;
      const float* pn = phi + n * HW + begin;
      for (int64_t i = 0; i < len; ++i) {
        const BinaryPixelStats s = binary_pixel_forward<T>(zn[i], kG ? gn[i] : 0.0f, kPhi ? pn[i] : 0.0f, prm);
        for_active_stats<T>(s, [&](int stat, float v) { tile[compact_row<T>(stat)][i] = v; });
      }
    });
    for (int64_t n = 0; n < N; ++n)
      for (int j = 0; j < K; ++j) totals[size_t(n * kBinaryStats + idx[size_t(j)])] = compact[size_t(n * K + j)];
  });
  // Per-image sums rounded to float, then the batch row from those floats (as the CUDA
  // launch does), so both devices feed binary_loss_value the same kind of numbers.
  for (int64_t k = 0; k < N * kBinaryStats; ++k) sums[k] = static_cast<float>(totals[size_t(k)]);
  for (int k = 0; k < kBinaryStats; ++k) {
    double s = 0.0;
    for (int64_t n = 0; n < N; ++n) s += double(sums[n * kBinaryStats + k]);
    sums[N * kBinaryStats + k] = static_cast<float>(s);
  }
  *value = binary_loss_value(sums, N, HW, p);
}

void binary_loss_backward_cpu(const float* z, const float* g, const float* phi, int64_t N, int64_t HW,
                              const BinaryLossParams& p, const float* sums, const float* grad_out, float* dz) {
  const float go = *grad_out;
  if (g == nullptr) g = z;
  if (phi == nullptr) phi = z;
  dispatch_binary_terms(p.terms, [&]<uint32_t T>() {
    constexpr bool kPhi = (T & kBinaryBoundary) != 0;
    constexpr bool kG = binary_reads_target(T);
    cpu::for_image_chunks(N, HW, [&](int64_t n, int64_t begin, int64_t end) {
      const BinaryLossParams prm = p;
      const BinaryCoef c = binary_coef(sums, n, N, HW, prm);
      const float* zn = z + n * HW;
      const float* gn = g + n * HW;
      const float* pn = phi + n * HW;
      float* dn = dz + n * HW;
      for (int64_t i = begin; i < end; ++i)
        dn[i] = go * binary_pixel_grad<T>(zn[i], kG ? gn[i] : 0.0f, kPhi ? pn[i] : 0.0f, prm, c);
    });
  });
}

}  // namespace fbd::kernels
