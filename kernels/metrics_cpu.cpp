// CPU twin of the metric kernels (kernels/metrics_kernels.h): the per-pixel and per-image math of
// metrics.cuh in OpenMP loops. Counts are integers, so the sums do not depend on the thread
// count; the percentiles sort each image's directed distances (std::sort) where the GPU uses a
// segmented radix sort, and read them with the same metrics_hausdorff_values.
#include <algorithm>
#include <vector>

#include "kernels/metrics.cuh"

namespace fbd::kernels {

void metrics_binarize_cpu(const float* in, uint8_t* out, int64_t n, float threshold) {
#pragma omp parallel for schedule(static) if (n > kCpuParallelThreshold)
  for (int64_t i = 0; i < n; ++i) out[i] = in[i] >= threshold ? 1 : 0;
}

void metrics_masks_cpu(const uint8_t* mask, uint8_t* not_edge, uint8_t* band, uint8_t* rows, int64_t batch,
                       int64_t height, int64_t width, int64_t d) {
  const int64_t plane = height * width, lines = batch * height;
  const bool parallel = batch * plane > kCpuParallelThreshold;
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t r = 0; r < lines; ++r) {
    const int64_t n = r / height, y = r % height;
    const uint8_t* m = mask + n * plane;
    for (int64_t x = 0; x < width; ++x) {
      not_edge[r * width + x] = metrics_is_edge(m, y, x, height, width) ? 0 : 1;
      rows[r * width + x] = metrics_row_full(m + y * width, x, width, d) ? 1 : 0;
    }
  }
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t r = 0; r < lines; ++r) {
    const int64_t n = r / height, y = r % height;
    for (int64_t x = 0; x < width; ++x)
      band[r * width + x] = metrics_in_band(mask + n * plane, rows + n * plane, y, x, height, width, d) ? 1 : 0;
  }
}

void metrics_counts_cpu(const uint8_t* pred, const uint8_t* target, const uint8_t* pred_not_edge,
                        const uint8_t* target_not_edge, const uint8_t* pred_band, const uint8_t* target_band,
                        int64_t* counts, int64_t batch, int64_t plane) {
#pragma omp parallel for schedule(static) if (batch * plane > kCpuParallelThreshold)
  for (int64_t n = 0; n < batch; ++n) {
    int64_t c[kNumCounts] = {};
    for (int64_t i = n * plane; i < (n + 1) * plane; ++i) {
      const int p = pred[i], g = target[i];
      c[kTP] += p & g;
      c[kFP] += p & (1 - g);
      c[kFN] += (1 - p) & g;
      c[kTN] += (1 - p) & (1 - g);
      c[kEdgeP] += 1 - pred_not_edge[i];
      c[kEdgeG] += 1 - target_not_edge[i];
      c[kBandP] += pred_band[i];
      c[kBandG] += target_band[i];
      c[kBandBoth] += pred_band[i] & target_band[i];
    }
    for (int k = 0; k < kNumCounts; ++k) counts[n * kNumCounts + k] = c[k];
  }
}

void metrics_hausdorff_cpu(const uint8_t* pred_not_edge, const uint8_t* target_not_edge,
                           const float* dist_to_target_edge, const float* dist_to_pred_edge, const int64_t* counts,
                           double* hd, int64_t batch, int64_t plane, double q) {
#pragma omp parallel for schedule(dynamic) if (batch * plane > kCpuParallelThreshold)
  for (int64_t n = 0; n < batch; ++n) {
    if (counts[n * kNumCounts + kEdgeP] == 0 || counts[n * kNumCounts + kEdgeG] == 0) continue;
    std::vector<float> a, b;  // pred boundary -> target boundary, and back
    for (int64_t i = n * plane; i < (n + 1) * plane; ++i) {
      if (!pred_not_edge[i]) a.push_back(dist_to_target_edge[i]);
      if (!target_not_edge[i]) b.push_back(dist_to_pred_edge[i]);
    }
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    metrics_hausdorff_values(a.data(), int64_t(a.size()), b.data(), int64_t(b.size()), q, hd + n * kNumHausdorff);
  }
}

}  // namespace fbd::kernels
