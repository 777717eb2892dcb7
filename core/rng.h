// Reproducible random numbers. A Generator is (seed, offset): each fill consumes
// ceil(n / 4) Philox counter blocks from `offset` and advances it, so a given seed and
// sequence of fills gives the same values on the CPU and on CUDA (bit-identical for uniform
// and normal; see kernels/philox_kernels.h), whatever the number of threads.
#pragma once
#include <cstdint>

#include "core/tensor.h"

namespace fbd {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void manual_seed(uint64_t seed) {
    seed_ = seed;
    offset_ = 0;
  }
  // Reserves the counter blocks for n values and returns the first.
  uint64_t take(int64_t n);

 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
};

// The process-wide generator used when none is passed (seed 0 until manual_seed).
Generator& default_generator();
void manual_seed(uint64_t seed);

// In-place fills of a float32 tensor on any device (not recorded by autograd).
void uniform_(Tensor& t, float lo = 0.0f, float hi = 1.0f, Generator& gen = default_generator());
void normal_(Tensor& t, float mean = 0.0f, float std = 1.0f, Generator& gen = default_generator());
// Raw 32-bit words into an int32 tensor (for shuffles and tests of the stream itself).
void random_bits_(Tensor& t, Generator& gen = default_generator());

Tensor rand(const Shape& shape, Device device = Device::cpu(), Generator& gen = default_generator());
Tensor randn(const Shape& shape, Device device = Device::cpu(), Generator& gen = default_generator());

}  // namespace fbd
