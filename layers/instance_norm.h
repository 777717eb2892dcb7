// 2-d instance normalisation (PyTorch's nn.InstanceNorm2d / F.instance_norm without running
// statistics), over x [N, C, H, W] per (sample, channel) plane of M = H*W values:
//   y = (x - mean) / sqrt(var + eps) * gamma_c + beta_c
// with the plane's mean and biased variance, in training and eval mode alike (PyTorch's default
// track_running_stats = false). Gradients (xhat = (x - mean) invstd, sums over the plane):
//   dx = gamma_c invstd (gy - sum gy / M - xhat sum(gy xhat) / M)
//   dgamma_c = sum over n of sum(gy xhat),  dbeta_c = sum over n of sum(gy)
// Kernels: kernels/instance_norm (per-plane sums in a fixed order on both devices, so results
// are deterministic; no float atomics).
#pragma once
#include "layers/module.h"

namespace fbd::nn {

// gamma, beta: [C] or undefined (no affine transform: 1 and 0). Needs more than one value per
// plane, as PyTorch does.
Tensor instance_norm2d(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps = 1e-5f);

// PyTorch's defaults: affine = false (no parameters), no running statistics. With affine:
// parameters "weight" (ones) and "bias" (zeros), [num_features]. The input's channel count must
// be num_features.
class InstanceNorm2d : public Module {
 public:
  explicit InstanceNorm2d(int64_t num_features, float eps = 1e-5f, bool affine = false);
  Tensor forward(const Tensor& x) override;
  int64_t num_features() const { return num_features_; }
  float eps() const { return eps_; }
  bool affine() const { return weight_.defined(); }
  Tensor weight() const { return weight_; }  // undefined without affine
  Tensor bias() const { return bias_; }

 private:
  int64_t num_features_;
  float eps_;
  Tensor weight_, bias_;
};

}  // namespace fbd::nn
