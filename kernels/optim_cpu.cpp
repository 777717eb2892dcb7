// CPU twin of optim.cu: the same chunks (optim.h) in one OpenMP loop, the same per-element
// math (optim.cuh). Elementwise, so the result does not depend on the thread count.
// Bound: memory; SGD with momentum moves 20 bytes per parameter (p, g, buf read; p, buf
// written), Adam 28 (p, g, m, v read; p, m, v written).
#include "kernels/optim.cuh"
#include "kernels/optim_kernels.h"

namespace fbd::kernels {

int64_t optim_chunk_count(const ParamSlot* slots, int64_t count) {
  int64_t total = 0;
  for (int64_t k = 0; k < count; ++k) total += (slots[k].n + kOptimChunk - 1) / kOptimChunk;
  return total;
}

void optim_fill_chunks(const ParamSlot* slots, int64_t count, SlotChunk* chunks) {
  int64_t c = 0;
  for (int64_t k = 0; k < count; ++k)
    for (int64_t b = 0; b < slots[k].n; b += kOptimChunk) chunks[c++] = SlotChunk{b, int32_t(k)};
}

void sgd_step_cpu(const ParamSlot* slots, const SlotChunk* chunks, int64_t nchunks, const SgdHyper& h) {
#pragma omp parallel for schedule(static) if (nchunks * kOptimChunk > kCpuParallelThreshold)
  for (int64_t c = 0; c < nchunks; ++c) {
    const ParamSlot& s = slots[chunks[c].slot];
    int64_t b, e;
    chunk_range(chunks[c], s, b, e);
    for (int64_t i = b; i < e; ++i) sgd_update(s.param, s.grad, s.buf0, i, h, s.first != 0);
  }
}

// Vectorised: the hyperparameters and the slot are copied to locals (through the pointers the
// loop stores to, the compiler would otherwise reload h every element, unable to rule out
// aliasing), the element loop is `omp simd` (element i touches only index i of each buffer),
// and the file is compiled with -fno-math-errno (kernels/CMakeLists.txt), without which sqrtf
// keeps a scalar branch to the libm call that sets errno. The per-element math and its
// operation order are adam_update's unchanged, so results are the scalar loop's bit for bit
// (the same contractions; tests/optim/test_optim.cpp holds it to the scalar loop).
void adam_step_cpu(const ParamSlot* slots, const SlotChunk* chunks, int64_t nchunks, const AdamHyper& h) {
  const AdamHyper hyper = h;
#pragma omp parallel for schedule(static) if (nchunks * kOptimChunk > kCpuParallelThreshold)
  for (int64_t c = 0; c < nchunks; ++c) {
    const ParamSlot s = slots[chunks[c].slot];
    int64_t b, e;
    chunk_range(chunks[c], s, b, e);
    float* p = s.param;
    const float* g = s.grad;
    float* m = s.buf0;
    float* v = s.buf1;
    const float step_size = s.step_size, bc2_sqrt = s.bc2_sqrt;
#pragma omp simd
    for (int64_t i = b; i < e; ++i) adam_update(p, g, m, v, i, hyper, step_size, bc2_sqrt);
  }
}

}  // namespace fbd::kernels
