// Helpers for the GPU parity tests: device buffers with guard values before and after the
// data (to catch out-of-bounds writes on either side, as ggml's backend tests do) and
// uploads/downloads.
#pragma once
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/cuda_context.h"
#include "core/ops.h"
#include "core/tensor.h"
#include "tests/test_util.h"

namespace fbd::test {

inline constexpr int64_t kGuardBytes = 256;          // before and after each buffer (keeps 256-byte alignment)
inline constexpr int64_t kGuard = kGuardBytes / 4;   // the same, in floats
inline constexpr uint32_t kGuardBits = 0x7fc0beefu;  // a NaN payload no kernel writes

// The guard pattern: byte i of the buffer is byte i % 4 of kGuardBits (little-endian), so the
// data region also starts out as that NaN and a kernel that leaves an output unwritten shows
// up as a NaN the comparison rejects.
inline uint8_t guard_byte(int64_t i) { return uint8_t(kGuardBits >> (8 * (i % 4))); }

// n elements of T on cuda:0 between two guard regions of kGuardBytes. download() returns the
// data and fails the test when a guard byte changed; check_guards() checks without returning.
template <typename T>
class Guarded {
 public:
  explicit Guarded(int64_t n)
      : n_(n),
        bytes_(2 * kGuardBytes + n * int64_t(sizeof(T))),
        t_(Tensor::empty({bytes_}, DType::U8, Device::cuda())) {
    std::vector<uint8_t> init(static_cast<size_t>(bytes_));
    for (int64_t i = 0; i < bytes_; ++i) init[size_t(i)] = guard_byte(i);
    copy_bytes(t_.raw_data(), Device::cuda(), init.data(), Device::cpu(), init.size());
  }
  Guarded(const std::vector<T>& values) : Guarded(int64_t(values.size())) { upload(values); }
  T* data() { return reinterpret_cast<T*>(static_cast<uint8_t*>(t_.raw_data()) + kGuardBytes); }
  void* raw() { return data(); }
  int64_t size() const { return n_; }
  void upload(const std::vector<T>& v) {
    REQUIRE(int64_t(v.size()) <= n_);
    copy_bytes(data(), Device::cuda(), v.data(), Device::cpu(), v.size() * sizeof(T));
  }
  std::vector<T> download() {
    const std::vector<uint8_t> all = bytes();
    std::vector<T> out(static_cast<size_t>(n_));
    std::memcpy(out.data(), all.data() + kGuardBytes, size_t(n_) * sizeof(T));
    return out;
  }
  void check_guards() { bytes(); }

 private:
  std::vector<uint8_t> bytes() {
    std::vector<uint8_t> all(static_cast<size_t>(bytes_));
    copy_bytes(all.data(), Device::cpu(), t_.raw_data(), Device::cuda(), all.size());
    const int64_t data_end = kGuardBytes + n_ * int64_t(sizeof(T));
    int64_t bad = -1;
    for (int64_t i = 0; i < bytes_ && bad < 0; ++i) {
      if (i == kGuardBytes) i = data_end;
      if (i < bytes_ && all[size_t(i)] != guard_byte(i)) bad = i;
    }
    const bool before = bad < kGuardBytes;
    REQUIRE_MESSAGE(bad < 0, "a guard byte " << (before ? kGuardBytes - bad : bad - data_end + 1)
                                             << std::string(before ? " bytes before" : " bytes after")
                                             << " a buffer of " << n_ << " elements of " << sizeof(T)
                                             << " bytes was overwritten");
    return all;
  }

  int64_t n_, bytes_;
  Tensor t_;
};

using GuardedBuffer = Guarded<float>;

// Runs f forward and backward (with fixed random weights on its output) on the CPU and on
// cuda:0 from the same inputs, and compares the output and every input's gradient:
// |cpu - gpu| <= tol + eps |cpu|.
using ParityFn = std::function<Tensor(const std::vector<Tensor>&)>;
inline void parity(const std::string& name, const ParityFn& f, const std::vector<Tensor>& inputs, double tol,
                   double eps) {
  INFO("op: " << name);
  std::vector<Tensor> outs, grads[2];
  for (int dev = 0; dev < 2; ++dev) {
    const Device d = dev == 0 ? Device::cpu() : Device::cuda();
    std::vector<Tensor> xs;
    for (const Tensor& t : inputs) {
      Tensor x = t.to(d).clone().detach();
      x.requires_grad_();
      xs.push_back(x);
    }
    Tensor y = f(xs);
    REQUIRE(y.device() == d);
    const Tensor w = random_tensor(y.shape(), -1, 1, 7, d);
    sum(mul(y, w)).backward();
    outs.push_back(y.detach().cpu());
    for (Tensor& x : xs) grads[dev].push_back(x.grad().cpu());
  }
  check_close(outs[0].to_vector(), outs[1].to_vector(), tol, eps, name + " forward");
  for (size_t i = 0; i < inputs.size(); ++i)
    check_close(grads[0][i].to_vector(), grads[1][i].to_vector(), tol, eps,
                name + " gradient of input " + std::to_string(i));
}

}  // namespace fbd::test
