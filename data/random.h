// Per-sample random streams for the data pipeline, on the engine's Philox4x32-10
// (kernels/philox.cuh).
//
// Every random choice in data/ is drawn from a SampleRandom keyed by (seed, a, b), e.g.
// (seed, epoch, sample index) in the loader or (seed, patient, slice) in the phantom. Philox
// is counter-based, so a stream depends on its key only: a sample's augmentation is the same
// whichever worker thread makes it and in whatever order, and one stream's draws never shift
// another's.
#pragma once
#include <cstdint>

#include "kernels/philox.cuh"

namespace fbd::data {

// A 64-bit key that is a pseudo-random function of (seed, a, b): one Philox block.
inline uint64_t derive_key(uint64_t seed, uint64_t a, uint64_t b) {
  const kernels::Philox4 r = kernels::philox4x32_10(uint32_t(a), uint32_t(a >> 32), uint32_t(b),
                                                    uint32_t(b >> 32) ^ 0x5A17u, uint32_t(seed), uint32_t(seed >> 32));
  return uint64_t(r.w[0]) | (uint64_t(r.w[1]) << 32);
}

class SampleRandom {
 public:
  SampleRandom(uint64_t seed, uint64_t a, uint64_t b) : key_(derive_key(seed, a, b)) {}
  explicit SampleRandom(uint64_t key) : key_(key) {}

  uint64_t key() const { return key_; }
  // A key for a sub-stream (e.g. one per augmentation step), independent of this one's draws.
  uint64_t sub_key(uint64_t which) const { return derive_key(key_, which, 0x51ull); }

  uint32_t bits() {
    if (used_ == 4) {
      block_ = kernels::philox_block(key_, counter_++);
      used_ = 0;
    }
    return block_.w[used_++];
  }
  // [0, 1) with 24 random bits.
  float uniform() { return kernels::u01_open1(bits()); }
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  // An integer in [lo, hi] (inclusive).
  int64_t integer(int64_t lo, int64_t hi) {
    const uint64_t span = uint64_t(hi - lo) + 1;
    const uint64_t r = (uint64_t(bits()) << 32) | bits();
    return lo + int64_t(r % span);
  }
  bool bernoulli(double p) { return p >= 1.0 || double(uniform()) < p; }
  // N(0, 1), bit-identical everywhere (the engine's portable Box-Muller).
  float normal() {
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    float z0, z1;
    kernels::box_muller(bits(), bits(), z0, z1);
    spare_ = z1;
    have_spare_ = true;
    return z0;
  }

 private:
  uint64_t key_;
  uint64_t counter_ = 0;
  kernels::Philox4 block_{};
  int used_ = 4;
  float spare_ = 0.0f;
  bool have_spare_ = false;
};

}  // namespace fbd::data
