// CPU twin of philox.cu: one Philox block per loop iteration, four values written.
#include "kernels/philox.cuh"
#include "kernels/philox_kernels.h"

namespace fbd::kernels {
namespace {

template <typename T, typename BlockFn>
void fill_blocks(T* out, int64_t n, BlockFn block) {
  const int64_t blocks = philox_blocks(n);
#pragma omp parallel for schedule(static) if (n > kCpuParallelThreshold)
  for (int64_t b = 0; b < blocks; ++b) {
    T v[4];
    block(b, v);
    for (int j = 0; j < 4 && 4 * b + j < n; ++j) out[4 * b + j] = v[j];
  }
}

}  // namespace

void philox_bits_cpu(uint32_t* out, int64_t n, uint64_t seed, uint64_t offset) {
  fill_blocks(out, n, [&](int64_t b, uint32_t v[4]) {
    const Philox4 r = philox_block(seed, offset + uint64_t(b));
    for (int j = 0; j < 4; ++j) v[j] = r.w[j];
  });
}

void philox_uniform_cpu(float* out, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi) {
  fill_blocks(out, n, [&](int64_t b, float v[4]) { uniform4(seed, offset + uint64_t(b), lo, hi, v); });
}

void philox_normal_cpu(float* out, int64_t n, uint64_t seed, uint64_t offset, float mean, float std) {
  fill_blocks(out, n, [&](int64_t b, float v[4]) { normal4(seed, offset + uint64_t(b), mean, std, v); });
}

}  // namespace fbd::kernels
