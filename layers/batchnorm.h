// 2-d batch normalisation (PyTorch's nn.BatchNorm2d), over x [N, C, H, W] per channel:
//   training: y = (x - mean_B) / sqrt(var_B + eps) * gamma + beta with the batch's mean and
//             biased variance; the running statistics move towards the batch's:
//             running = (1 - momentum) running + momentum batch (the variance unbiased, M/(M-1))
//   eval:     the same with the running statistics (constants for the gradient)
// CPU: kernels/batchnorm (sums in double, deterministic); CUDA: cuDNN's batch normalisation
// (CUDNN_BATCHNORM_SPATIAL), whose backward reuses the mean and inverse std it saved.
#pragma once
#include <functional>

#include "layers/module.h"

namespace fbd::nn {

// gamma, beta: [C] or undefined (affine = false: 1 and 0). running_mean, running_var: [C]
// buffers updated in place when `training` (pass undefined tensors to use batch statistics
// without tracking them). In eval mode both must be defined.
Tensor batch_norm2d(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& running_mean,
                    const Tensor& running_var, bool training, double momentum = 0.1, double eps = 1e-5);

struct BatchNorm2dOptions {
  explicit BatchNorm2dOptions(int64_t c) : channels(c) {}
  BatchNorm2dOptions& eps(double e) { return eps_ = e, *this; }
  BatchNorm2dOptions& momentum(double m) { return momentum_ = m, *this; }
  BatchNorm2dOptions& affine(bool a) { return affine_ = a, *this; }
  BatchNorm2dOptions& track_running_stats(bool t) { return track_ = t, *this; }
  int64_t channels;
  double eps_ = 1e-5, momentum_ = 0.1;
  bool affine_ = true, track_ = true;
};

// Parameters weight (gamma, ones) and bias (beta, zeros); buffers running_mean (zeros) and
// running_var (ones). PyTorch also keeps num_batches_tracked, used only when momentum is None;
// fbd has no such mode and no such buffer.
class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(const BatchNorm2dOptions& o);
  explicit BatchNorm2d(int64_t channels) : BatchNorm2d(BatchNorm2dOptions(channels)) {}
  Tensor forward(const Tensor& x) override;
  const BatchNorm2dOptions& options() const { return o_; }
  Tensor weight() const { return weight_; }
  Tensor bias() const { return bias_; }
  Tensor running_mean() const { return running_mean_; }
  Tensor running_var() const { return running_var_; }
  void set_momentum(double m);

 private:
  BatchNorm2dOptions o_;
  Tensor weight_, bias_, running_mean_, running_var_;
};

// Precise batch statistics: gives every tracking BatchNorm2d under `net` running statistics equal
// to the mean over `batches` batches of each batch's statistics, all computed with the current
// weights (PyTorch's momentum=None; Wu & Johnson, "Rethinking 'Batch' in BatchNorm", 2021). The
// moving average gathered during training mixes statistics of weights that have since changed,
// which on small sets and small maps (a 1 x 1 map of a few images) makes evaluation disagree with
// training. `forward_batch(k)` runs batch k (0-based) through `net`; it is called in training
// mode without gradients, and the momenta and the training flag are restored afterwards.
void recompute_batch_norm_stats(Module& net, int64_t batches, const std::function<void(int64_t)>& forward_batch);

namespace detail {
// cuDNN entry points (layers/batchnorm_cudnn.cpp, CUDA builds): raw device pointers, x and y
// [N, C, H, W]; per-channel vectors [C]. Running statistics may be null (both or neither).
void cudnn_bn_forward_training(int device, const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W,
                               const float* gamma, const float* beta, double momentum, float* running_mean,
                               float* running_var, double eps, float* save_mean, float* save_invstd);
void cudnn_bn_forward_inference(int device, const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W,
                                const float* gamma, const float* beta, const float* mean, const float* var, double eps);
void cudnn_bn_backward(int device, const float* x, const float* dy, float* dx, int64_t N, int64_t C, int64_t H,
                       int64_t W, const float* gamma, float* dgamma, float* dbeta, double eps, const float* save_mean,
                       const float* save_invstd);
}  // namespace detail

}  // namespace fbd::nn
