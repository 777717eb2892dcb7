// Segmentation metrics on the GPU (kernels/metrics_kernels.h; per-pixel math in metrics.cuh).
// Not differentiable: metrics are read, never backpropagated.
//
// Decomposition, all on one stream:
//  * metrics_binarize_kernel: grid-stride, one byte out per float in (5 bytes per pixel).
//  * metrics_edge_rows_kernel then metrics_band_kernel: grid-stride over pixels. The first
//    writes "not boundary" (4-neighbour stencil) and "row-full" (the 2d+1 pixels of the row
//    around it are all mask); the second reads 2d+1 row-full flags down the column. Separable
//    erosion: O(d) reads per pixel, served by L1 (neighbouring threads read neighbouring bytes).
//  * metrics_counts_kernel: grid (blocks per image, images). Each thread counts its pixels in
//    registers, warps reduce with shuffles, lane 0 adds to the image's counters with integer
//    atomics. Integer addition is associative, so the counts are exact and deterministic.
//  * metrics_hausdorff_cuda: a keys kernel writes, per image and direction, the EDT value on
//    boundary pixels and +inf elsewhere; cub::DeviceSegmentedSort sorts the 2N segments; one
//    thread per image reads the maxima and percentiles from the sorted lists (the boundary
//    counts say how many are finite) with metrics_hausdorff_values, as the CPU twin does.
// Bounds: memory for the stencil and count kernels (a few bytes per pixel each); the sort
// (two float keys per pixel, a few passes over them) dominates the Hausdorff part.
// Indices are int64 throughout (N*H*W may exceed 2^31).
#include <cub/device/device_segmented_sort.cuh>

#include "kernels/launch.cuh"
#include "kernels/metrics.cuh"
#include "kernels/metrics_kernels.h"

namespace fbd::kernels {
namespace {

__global__ void metrics_binarize_kernel(const float* __restrict__ in, uint8_t* __restrict__ out, int64_t n,
                                        float threshold) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    out[i] = in[i] >= threshold ? 1 : 0;
}

__global__ void metrics_edge_rows_kernel(const uint8_t* __restrict__ mask, uint8_t* __restrict__ not_edge,
                                         uint8_t* __restrict__ rows, int64_t batch, int64_t height, int64_t width,
                                         int64_t d) {
  const int64_t plane = height * width, total = batch * plane;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t n = i / plane, yx = i % plane, y = yx / width, x = yx % width;
    const uint8_t* m = mask + n * plane;
    not_edge[i] = metrics_is_edge(m, y, x, height, width) ? 0 : 1;
    rows[i] = metrics_row_full(m + y * width, x, width, d) ? 1 : 0;
  }
}

__global__ void metrics_band_kernel(const uint8_t* __restrict__ mask, const uint8_t* __restrict__ rows,
                                    uint8_t* __restrict__ band, int64_t batch, int64_t height, int64_t width,
                                    int64_t d) {
  const int64_t plane = height * width, total = batch * plane;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t n = i / plane, yx = i % plane, y = yx / width, x = yx % width;
    band[i] = metrics_in_band(mask + n * plane, rows + n * plane, y, x, height, width, d) ? 1 : 0;
  }
}

constexpr int kCountBlock = 256;

// grid = (blocks per image, min(batch, 65535)); counts zeroed beforehand.
__global__ void metrics_counts_kernel(const uint8_t* __restrict__ pred, const uint8_t* __restrict__ target,
                                      const uint8_t* __restrict__ pred_not_edge,
                                      const uint8_t* __restrict__ target_not_edge,
                                      const uint8_t* __restrict__ pred_band, const uint8_t* __restrict__ target_band,
                                      unsigned long long* __restrict__ counts, int64_t batch, int64_t plane) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t n = blockIdx.y; n < batch; n += gridDim.y) {
    unsigned long long c[kNumCounts] = {};
    const int64_t base = n * plane;
    for (int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; k < plane; k += stride) {
      const int64_t i = base + k;
      const unsigned p = pred[i], g = target[i], pb = pred_band[i], gb = target_band[i];
      c[kTP] += p & g;
      c[kFP] += p & (1u - g);
      c[kFN] += (1u - p) & g;
      c[kTN] += (1u - p) & (1u - g);
      c[kEdgeP] += 1u - pred_not_edge[i];
      c[kEdgeG] += 1u - target_not_edge[i];
      c[kBandP] += pb;
      c[kBandG] += gb;
      c[kBandBoth] += pb & gb;
    }
    // Every thread of the block reaches the shuffles (the loops above are per thread).
#pragma unroll
    for (int k = 0; k < kNumCounts; ++k) {
      unsigned long long v = c[k];
      for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
      if ((threadIdx.x & 31) == 0 && v != 0) atomicAdd(counts + n * kNumCounts + k, v);
    }
  }
}

// keys[(2n + 0) * plane + i]: pred boundary pixel -> its distance to the target's boundary;
// keys[(2n + 1) * plane + i]: target boundary pixel -> its distance to pred's boundary;
// +inf elsewhere, so each sorted segment starts with the finite directed distances.
__global__ void metrics_keys_kernel(const uint8_t* __restrict__ pred_not_edge,
                                    const uint8_t* __restrict__ target_not_edge,
                                    const float* __restrict__ dist_to_target_edge,
                                    const float* __restrict__ dist_to_pred_edge, float* __restrict__ keys,
                                    int64_t* __restrict__ offsets, int64_t batch, int64_t plane) {
  const int64_t total = batch * plane, stride = int64_t(gridDim.x) * blockDim.x;
  const float inf = std::numeric_limits<float>::infinity();
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const int64_t n = i / plane, k = i % plane;
    keys[(2 * n) * plane + k] = pred_not_edge[i] ? inf : dist_to_target_edge[i];
    keys[(2 * n + 1) * plane + k] = target_not_edge[i] ? inf : dist_to_pred_edge[i];
    if (i <= 2 * batch) offsets[i] = i * plane;  // segment s spans [s*plane, (s+1)*plane)
  }
  // 2*batch + 1 offsets; total >= 2*batch + 1 unless plane < 3: cover the rest here.
  if (blockIdx.x == 0 && threadIdx.x == 0)
    for (int64_t s = total; s <= 2 * batch; ++s) offsets[s] = s * plane;
}

__global__ void metrics_hausdorff_kernel(const float* __restrict__ sorted, const int64_t* __restrict__ counts,
                                         double* __restrict__ hd, int64_t batch, int64_t plane, double q) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t n = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; n < batch; n += stride) {
    const int64_t na = counts[n * kNumCounts + kEdgeP], nb = counts[n * kNumCounts + kEdgeG];
    if (na == 0 || nb == 0) continue;
    metrics_hausdorff_values(sorted + (2 * n) * plane, na, sorted + (2 * n + 1) * plane, nb, q, hd + n * kNumHausdorff);
  }
}

size_t align256(size_t b) { return (b + 255) / 256 * 256; }

// The segmented sort's temporary storage (CUB's size query; no device work).
cudaError_t sort_temp_bytes(int64_t batch, int64_t plane, size_t& bytes) {
  bytes = 0;
  return cub::DeviceSegmentedSort::SortKeys(nullptr, bytes, static_cast<const float*>(nullptr),
                                            static_cast<float*>(nullptr), 2 * batch * plane, 2 * batch,
                                            static_cast<const int64_t*>(nullptr), static_cast<const int64_t*>(nullptr));
}

}  // namespace

void metrics_binarize_cuda(const float* in, uint8_t* out, int64_t n, float threshold, Stream s) {
  if (n == 0) return;
  metrics_binarize_kernel<<<grid_for(n), kBlock, 0, s>>>(in, out, n, threshold);
}

void metrics_masks_cuda(const uint8_t* mask, uint8_t* not_edge, uint8_t* band, uint8_t* rows, int64_t batch,
                        int64_t height, int64_t width, int64_t d, Stream s) {
  const int64_t total = batch * height * width;
  if (total == 0) return;
  metrics_edge_rows_kernel<<<grid_for(total), kBlock, 0, s>>>(mask, not_edge, rows, batch, height, width, d);
  metrics_band_kernel<<<grid_for(total), kBlock, 0, s>>>(mask, rows, band, batch, height, width, d);
}

LaunchStatus metrics_counts_cuda(const uint8_t* pred, const uint8_t* target, const uint8_t* pred_not_edge,
                                 const uint8_t* target_not_edge, const uint8_t* pred_band, const uint8_t* target_band,
                                 int64_t* counts, int64_t batch, int64_t plane, Stream s) {
  if (batch == 0) return {};
  const cudaError_t err = cudaMemsetAsync(counts, 0, size_t(batch) * kNumCounts * sizeof(int64_t), s);
  if (err != cudaSuccess || plane == 0) return status_of(err, "cudaMemsetAsync of the counts");
  // About two waves of blocks over the whole batch, at least one block per image.
  const int64_t per_image =
      std::clamp<int64_t>(int64_t(sm_count()) * 16 / batch, 1, (plane + kCountBlock - 1) / kCountBlock);
  const dim3 grid(unsigned(per_image), unsigned(std::min<int64_t>(batch, 65535)));
  metrics_counts_kernel<<<grid, kCountBlock, 0, s>>>(pred, target, pred_not_edge, target_not_edge, pred_band,
                                                     target_band, reinterpret_cast<unsigned long long*>(counts), batch,
                                                     plane);
  return {};
}

size_t metrics_hausdorff_workspace_bytes(int64_t batch, int64_t plane) {
  if (batch == 0 || plane == 0) return 0;
  const size_t keys = align256(size_t(2 * batch * plane) * sizeof(float));
  size_t temp = 0;
  sort_temp_bytes(batch, plane, temp);  // a failed query gives 0 bytes, and the launch reports it
  return 2 * keys + align256(size_t(2 * batch + 1) * sizeof(int64_t)) + temp;
}

LaunchStatus metrics_hausdorff_cuda(const uint8_t* pred_not_edge, const uint8_t* target_not_edge,
                                    const float* dist_to_target_edge, const float* dist_to_pred_edge,
                                    const int64_t* counts, double* hd, int64_t batch, int64_t plane, double q,
                                    void* workspace, Stream s) {
  if (batch == 0 || plane == 0) return {};
  char* w = static_cast<char*>(workspace);
  const size_t keys_bytes = align256(size_t(2 * batch * plane) * sizeof(float));
  float* keys = reinterpret_cast<float*>(w);
  float* sorted = reinterpret_cast<float*>(w + keys_bytes);
  int64_t* offsets = reinterpret_cast<int64_t*>(w + 2 * keys_bytes);
  void* temp = w + 2 * keys_bytes + align256(size_t(2 * batch + 1) * sizeof(int64_t));
  size_t temp_bytes = 0;
  cudaError_t err = sort_temp_bytes(batch, plane, temp_bytes);
  if (err != cudaSuccess) return status_of(err, "cub::DeviceSegmentedSort::SortKeys (size query)");
  const int64_t total = batch * plane;
  metrics_keys_kernel<<<grid_for(total), kBlock, 0, s>>>(pred_not_edge, target_not_edge, dist_to_target_edge,
                                                         dist_to_pred_edge, keys, offsets, batch, plane);
  err = cub::DeviceSegmentedSort::SortKeys(temp, temp_bytes, static_cast<const float*>(keys), sorted, 2 * total,
                                           2 * batch, static_cast<const int64_t*>(offsets),
                                           static_cast<const int64_t*>(offsets + 1), s);
  if (err != cudaSuccess) return status_of(err, "cub::DeviceSegmentedSort::SortKeys");
  metrics_hausdorff_kernel<<<grid_for(batch, 64), 64, 0, s>>>(sorted, counts, hd, batch, plane, q);
  return {};
}

}  // namespace fbd::kernels
