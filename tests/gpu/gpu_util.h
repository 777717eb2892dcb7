// Helpers for the GPU parity tests: device buffers with guard values after the end (to catch
// out-of-bounds writes, as ggml's backend tests do) and uploads/downloads.
#pragma once
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "core/cuda_context.h"
#include "core/tensor.h"

namespace fbd::test {

inline constexpr int64_t kGuard = 64;                // floats after each buffer
inline constexpr uint32_t kGuardBits = 0x7fc0beefu;  // a NaN payload no kernel writes

// A float buffer of n elements on cuda:0 followed by kGuard guard values.
class GuardedBuffer {
 public:
  explicit GuardedBuffer(int64_t n) : n_(n), t_(Tensor::empty({n + kGuard}, DType::F32, Device::cuda())) {
    std::vector<uint32_t> init(size_t(n + kGuard), kGuardBits);
    copy_bytes(t_.raw_data(), Device::cuda(), init.data(), Device::cpu(), init.size() * 4);
  }
  GuardedBuffer(const std::vector<float>& values) : GuardedBuffer(int64_t(values.size())) { upload(values); }
  float* data() { return t_.data<float>(); }
  void* raw() { return t_.raw_data(); }
  int64_t size() const { return n_; }
  void upload(const std::vector<float>& v) {
    REQUIRE(int64_t(v.size()) <= n_);
    copy_bytes(t_.raw_data(), Device::cuda(), v.data(), Device::cpu(), v.size() * 4);
  }
  std::vector<float> download() {
    std::vector<float> all(size_t(n_ + kGuard));
    copy_bytes(all.data(), Device::cpu(), t_.raw_data(), Device::cuda(), all.size() * 4);
    for (int64_t i = n_; i < n_ + kGuard; ++i) {
      uint32_t bits;
      std::memcpy(&bits, &all[size_t(i)], 4);
      REQUIRE_MESSAGE(bits == kGuardBits, "guard value " << (i - n_) << " after the buffer was overwritten");
    }
    all.resize(size_t(n_));
    return all;
  }

 private:
  int64_t n_;
  Tensor t_;
};

}  // namespace fbd::test
