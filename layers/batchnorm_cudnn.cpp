// cuDNN batch normalisation (CUDA builds only). Spatial mode: one mean and variance per
// channel over N*H*W. cuDNN's running variance is the unbiased one, as PyTorch's.
#include "layers/batchnorm.h"

#if FBD_WITH_CUDA
#include "core/cuda_check.h"
#include "core/cuda_context.h"

namespace fbd::nn::detail {

namespace {

struct BnDescs {
  cudnnTensorDescriptor_t x = nullptr, bn = nullptr;
  BnDescs(int64_t N, int64_t C, int64_t H, int64_t W) {
    FBD_CHECK(N * C * H * W < (int64_t(1) << 31), "batch_norm2d: tensors above 2^31 elements are not supported");
    FBD_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    cudnnStatus_t st = cudnnCreateTensorDescriptor(&bn);
    if (st == CUDNN_STATUS_SUCCESS)
      st = cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, int(N), int(C), int(H), int(W));
    if (st == CUDNN_STATUS_SUCCESS) st = cudnnDeriveBNTensorDescriptor(bn, x, CUDNN_BATCHNORM_SPATIAL);
    if (st != CUDNN_STATUS_SUCCESS) release();
    FBD_CUDNN_CHECK(st);
  }
  void release() {
    if (x) FBD_CUDNN_WARN(cudnnDestroyTensorDescriptor(x));
    if (bn) FBD_CUDNN_WARN(cudnnDestroyTensorDescriptor(bn));
    x = bn = nullptr;
  }
  ~BnDescs() { release(); }
  BnDescs(const BnDescs&) = delete;
  BnDescs& operator=(const BnDescs&) = delete;
};

}  // namespace

void cudnn_bn_forward_training(int device, const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W,
                               const float* gamma, const float* beta, double momentum, float* running_mean,
                               float* running_var, double eps, float* save_mean, float* save_invstd) {
  BnDescs d(N, C, H, W);
  const float one = 1.0f, zero = 0.0f;
  FBD_CUDNN_CHECK(cudnnBatchNormalizationForwardTraining(cuda::cudnn(device), CUDNN_BATCHNORM_SPATIAL, &one, &zero, d.x,
                                                         x, d.x, y, d.bn, gamma, beta, momentum, running_mean,
                                                         running_var, eps, save_mean, save_invstd));
}

void cudnn_bn_forward_inference(int device, const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W,
                                const float* gamma, const float* beta, const float* mean, const float* var,
                                double eps) {
  BnDescs d(N, C, H, W);
  const float one = 1.0f, zero = 0.0f;
  FBD_CUDNN_CHECK(cudnnBatchNormalizationForwardInference(cuda::cudnn(device), CUDNN_BATCHNORM_SPATIAL, &one, &zero,
                                                          d.x, x, d.x, y, d.bn, gamma, beta, mean, var, eps));
}

void cudnn_bn_backward(int device, const float* x, const float* dy, float* dx, int64_t N, int64_t C, int64_t H,
                       int64_t W, const float* gamma, float* dgamma, float* dbeta, double eps, const float* save_mean,
                       const float* save_invstd) {
  BnDescs d(N, C, H, W);
  const float one = 1.0f, zero = 0.0f;
  FBD_CUDNN_CHECK(cudnnBatchNormalizationBackward(cuda::cudnn(device), CUDNN_BATCHNORM_SPATIAL, &one, &zero, &one,
                                                  &zero, d.x, x, d.x, dy, d.x, dx, d.bn, gamma, dgamma, dbeta, eps,
                                                  save_mean, save_invstd));
}

}  // namespace fbd::nn::detail

#endif  // FBD_WITH_CUDA
