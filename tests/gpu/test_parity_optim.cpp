// The fused optimizer steps on CUDA against the CPU twin: several steps over tensors of many
// sizes, some without gradients. Tolerance 1e-6 + 1e-6 |p| per step: the same float32
// operations, except that a multiply-add may be fused into an FMA (one rounding instead of
// two) on one side and not the other: nvcc fuses them, and g++ does too where the CPU has FMA
// unless the twin is built with -ffp-contract=off.
#include <doctest/doctest.h>

#include "core/ops.h"
#include "optim/optim.h"
#include "tests/test_util.h"

using namespace fbd;
using namespace fbd::optim;

namespace {

template <typename Make>
void step_parity(const std::string& name, Make make) {
  INFO(name);
  const std::vector<int64_t> sizes{1, 4095, 4096, 4097, 50000, 3};
  std::vector<float> result[2];
  for (int d = 0; d < 2; ++d) {
    const Device dev = d == 0 ? Device::cpu() : Device::cuda();
    NamedTensors params;
    for (size_t i = 0; i < sizes.size(); ++i) {
      Tensor p = test::random_tensor({sizes[i]}, -1, 1, 10 + i, dev);
      p.requires_grad_();
      std::string pname = "p";
      pname += std::to_string(i);  // (not "p" + ...: GCC 12 warns falsely, -Wrestrict)
      params.emplace_back(pname, p);
    }
    auto opt = make(params);
    for (int step = 0; step < 4; ++step) {
      for (size_t i = 0; i < sizes.size(); ++i) {
        if (i == 1 && step % 2 == 0) {  // parameter 1 misses every other gradient
          params[i].second.zero_grad();
          continue;
        }
        params[i].second.impl_ptr()->grad = test::random_tensor({sizes[i]}, -1, 1, 100 * step + i, dev).impl_shared();
      }
      opt->step();
    }
    for (auto& [n, p] : params) {
      const auto v = p.cpu().to_vector();
      result[d].insert(result[d].end(), v.begin(), v.end());
    }
    for (auto& [n, t] : opt->state_dict()) {
      if (t.dtype() != DType::F32) continue;
      const auto v = t.cpu().to_vector();
      result[d].insert(result[d].end(), v.begin(), v.end());
    }
  }
  test::check_close(result[0], result[1], 1e-6, 1e-6, name);
}

}  // namespace

TEST_CASE("optimizer parity: SGD and Adam/AdamW fused steps on CUDA match the CPU") {
  step_parity("sgd nesterov", [](const NamedTensors& p) {
    SgdOptions o;
    o.lr = 0.1, o.momentum = 0.9, o.nesterov = true, o.weight_decay = 1e-3;
    return std::make_unique<SGD>(p, o);
  });
  step_parity("sgd plain", [](const NamedTensors& p) { return std::make_unique<SGD>(p, SgdOptions{}); });
  step_parity("adam", [](const NamedTensors& p) {
    AdamOptions o;
    o.lr = 0.01, o.weight_decay = 0.01;
    return std::unique_ptr<Optimizer>(std::make_unique<Adam>(p, o));
  });
  step_parity("adamw", [](const NamedTensors& p) {
    AdamOptions o;
    o.lr = 0.01, o.weight_decay = 0.1;
    return std::unique_ptr<Optimizer>(std::make_unique<AdamW>(p, o));
  });
}

TEST_CASE("clip_grad_norm_ on CUDA gives the CPU's norm") {
  Tensor a = test::random_tensor({1000}, -1, 1, 1), b = test::random_tensor({77}, -1, 1, 2);
  const Tensor ga = test::random_tensor({1000}, -1, 1, 3), gb = test::random_tensor({77}, -1, 1, 4);
  double norms[2];
  for (int d = 0; d < 2; ++d) {
    const Device dev = d == 0 ? Device::cpu() : Device::cuda();
    Tensor pa = a.to(dev).clone().detach(), pb = b.to(dev).clone().detach();
    pa.impl_ptr()->grad = ga.to(dev).impl_shared();
    pb.impl_ptr()->grad = gb.to(dev).impl_shared();
    norms[d] = clip_grad_norm_(std::vector<Tensor>{pa, pb}, 1.0);
  }
  CHECK(norms[1] == doctest::Approx(norms[0]).epsilon(1e-5));
}
