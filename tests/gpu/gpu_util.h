// Helpers for the GPU parity tests: device buffers with guard values after the end (to catch
// out-of-bounds writes, as ggml's backend tests do) and uploads/downloads.
#pragma once
#include <doctest/doctest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/cuda_context.h"
#include "core/ops.h"
#include "core/tensor.h"
#include "tests/test_util.h"

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
