// Counter-based random numbers (Philox4x32-10, Salmon et al., SC'11). Value i of a fill is a
// pure function of (seed, offset, i), so CPU and CUDA produce the same stream, and any
// element can be computed without the ones before it.
//
// Read in this order:
//   1. kernels/philox_kernels.h (this file): the entry points, CPU and CUDA
//   2. kernels/philox.cuh: the per-element math both backends share
//   3. kernels/philox_cpu.cpp: the CPU twin
//   4. kernels/philox.cu: the CUDA kernels and how they split the work
//   5. core/rng.cpp: the op that calls them
#pragma once
#include <cstdint>

#include "kernels/common.h"

namespace fbd::kernels {

// Each Philox block gives 4 words; a fill of n values consumes ceil(n / 4) counter blocks
// starting at `offset`. Element i uses block offset + i/4, word i % 4.
inline constexpr int64_t philox_blocks(int64_t n) { return (n + 3) / 4; }

// Raw 32-bit words.
void philox_bits_cpu(uint32_t* out, int64_t n, uint64_t seed, uint64_t offset);
void philox_bits_cuda(uint32_t* out, int64_t n, uint64_t seed, uint64_t offset, Stream s);

// Uniform in [lo, hi): 24 random bits per value, lo + (hi - lo) * u with u = k / 2^24.
// Bit-identical on CPU and CUDA.
void philox_uniform_cpu(float* out, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi);
void philox_uniform_cuda(float* out, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi, Stream s);

// Normal(mean, std) by Box-Muller on word pairs, evaluated in double with the project's own
// log and sine/cosine built from + - * / and sqrt only (all correctly rounded in IEEE 754
// on both sides, and philox.cu is compiled without FMA contraction), so the result is also
// bit-identical on CPU and CUDA.
void philox_normal_cpu(float* out, int64_t n, uint64_t seed, uint64_t offset, float mean, float std);
void philox_normal_cuda(float* out, int64_t n, uint64_t seed, uint64_t offset, float mean, float std, Stream s);

}  // namespace fbd::kernels
