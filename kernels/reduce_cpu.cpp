// CPU twin of reduce.cu. Accumulates in double over fixed chunks of kChunk rows of R, then adds
// the chunk sums in order: the result depends only on the shape, never on the thread count,
// so the CPU path is bit-for-bit repeatable. Within a contiguous row, eight independent
// accumulators (element r goes to lane r % 8) break the dependency chain of a single running
// sum, so the loop vectorises; the lanes are combined in a fixed order.
#include <algorithm>
#include <vector>

#include "kernels/reduce_kernels.h"

namespace fbd::kernels {
namespace {
constexpr int64_t kChunk = 16384;

// acc[0..inner) += sum over r in [r0, r1) of in[o, r, :]
void accumulate_rows(const float* in, double* acc, int64_t o, int64_t r0, int64_t r1, int64_t R, int64_t inner) {
  const float* base = in + (o * R) * inner;
  if (inner == 1) {
    constexpr int kLanes = 8;  // r0 is a multiple of kChunk, hence of kLanes: lanes never shift
    double lane[kLanes] = {};
    int64_t r = r0;
    for (; r + kLanes <= r1; r += kLanes)
      for (int j = 0; j < kLanes; ++j) lane[j] += base[r + j];
    double tail = 0.0;
    for (; r < r1; ++r) tail += base[r];
    acc[0] += ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7])) + tail;
    return;
  }
  for (int64_t r = r0; r < r1; ++r) {
    const float* row = base + r * inner;
    for (int64_t i = 0; i < inner; ++i) acc[i] += row[i];
  }
}
}  // namespace

void reduce_sum_cpu(const float* in, float* out, int64_t outer, int64_t R, int64_t inner, float scale) {
  const int64_t nchunks = std::max<int64_t>(1, (R + kChunk - 1) / kChunk);
  const int64_t total = outer * R * inner;
  if (nchunks == 1) {
    // One accumulator row per thread, not per o: [32, 512, 7, 7] over {2, 3} is 16384 rows of
    // 49, where a heap allocation per row cost as much as the sums.
#pragma omp parallel if (total > kCpuParallelThreshold && outer > 1)
    {
      std::vector<double> acc(static_cast<size_t>(inner));
#pragma omp for schedule(static)
      for (int64_t o = 0; o < outer; ++o) {
        std::fill(acc.begin(), acc.end(), 0.0);
        accumulate_rows(in, acc.data(), o, 0, R, R, inner);
        for (int64_t i = 0; i < inner; ++i) out[o * inner + i] = static_cast<float>(acc[size_t(i)] * scale);
      }
    }
    return;
  }
  std::vector<double> partial(outer * nchunks * inner, 0.0);
#pragma omp parallel for schedule(static) if (total > kCpuParallelThreshold)
  for (int64_t oc = 0; oc < outer * nchunks; ++oc) {
    const int64_t o = oc / nchunks, c = oc % nchunks;
    accumulate_rows(in, partial.data() + oc * inner, o, c * kChunk, std::min(R, (c + 1) * kChunk), R, inner);
  }
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      double s = 0.0;
      for (int64_t c = 0; c < nchunks; ++c) s += partial[(o * nchunks + c) * inner + i];
      out[o * inner + i] = static_cast<float>(s * scale);
    }
  }
}

}  // namespace fbd::kernels
