// Parameter shapes of a U-Net of width 32 (channels 32, 64, 128, 256, 512; two conv3x3 + batch
// norm per stage, transposed-conv upsampling, a 1x1 head): the size of the paper's network at
// the widths it lists, 7.8 M parameters. bench/compare_torch_layers.py builds the same list.
#pragma once
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"

namespace fbd::bench {

inline std::vector<Shape> paper_param_shapes() {
  std::vector<Shape> s;
  auto block = [&](int64_t in, int64_t out) {
    for (int64_t k : {in, out}) {
      s.push_back({out, k, 3, 3});
      s.push_back({out});  // conv bias
      s.push_back({out});  // bn weight
      s.push_back({out});  // bn bias
    }
  };
  const int64_t w[5] = {32, 64, 128, 256, 512};
  block(1, w[0]);
  for (int i = 1; i < 5; ++i) block(w[i - 1], w[i]);
  for (int i = 3; i >= 0; --i) {
    s.push_back({w[i + 1], w[i], 2, 2});  // ConvTranspose2d
    s.push_back({w[i]});
    block(2 * w[i], w[i]);
  }
  s.push_back({1, w[0], 1, 1});
  s.push_back({1});
  return s;
}

// Parameters of those shapes on `device`, each with a random gradient, named "0", "1", ...
inline std::vector<std::pair<std::string, Tensor>> paper_params_with_grads(Device device) {
  std::vector<std::pair<std::string, Tensor>> params;
  Generator gen(1);
  for (const Shape& s : paper_param_shapes()) {
    Tensor p = randn(s, device, gen);
    p.requires_grad_();
    p.impl_ptr()->grad = randn(s, device, gen).impl_shared();
    params.emplace_back(std::to_string(params.size()), p);
  }
  return params;
}

inline int64_t total_numel(const std::vector<std::pair<std::string, Tensor>>& params) {
  int64_t n = 0;
  for (const auto& [name, p] : params) n += p.numel();
  return n;
}

}  // namespace fbd::bench
