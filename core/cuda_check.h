// Checked CUDA, cuBLAS and cuDNN calls (CUDA builds only). The throwing forms turn a failed
// call into an fbd::Error naming the call, its error string, file and line; the _WARN forms
// print the same line to stderr and carry on, for destructors, which must not throw.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

namespace fbd::detail {
void cuda_fail(cudaError_t err, const char* call, const char* file, int line, bool throw_it);
void cublas_fail(cublasStatus_t st, const char* call, const char* file, int line, bool throw_it);
void cudnn_fail(cudnnStatus_t st, const char* call, const char* file, int line, bool throw_it);
}  // namespace fbd::detail

#define FBD_CUDA_CHECK(call)                                                                          \
  do {                                                                                                \
    const cudaError_t fbd_err_ = (call);                                                              \
    if (fbd_err_ != cudaSuccess) ::fbd::detail::cuda_fail(fbd_err_, #call, __FILE__, __LINE__, true); \
  } while (0)
#define FBD_CUDA_WARN(call)                                                                            \
  do {                                                                                                 \
    const cudaError_t fbd_err_ = (call);                                                               \
    if (fbd_err_ != cudaSuccess) ::fbd::detail::cuda_fail(fbd_err_, #call, __FILE__, __LINE__, false); \
  } while (0)
#define FBD_CUBLAS_CHECK(call)                                                                                  \
  do {                                                                                                          \
    const cublasStatus_t fbd_st_ = (call);                                                                      \
    if (fbd_st_ != CUBLAS_STATUS_SUCCESS) ::fbd::detail::cublas_fail(fbd_st_, #call, __FILE__, __LINE__, true); \
  } while (0)
#define FBD_CUBLAS_WARN(call)                                                                                    \
  do {                                                                                                           \
    const cublasStatus_t fbd_st_ = (call);                                                                       \
    if (fbd_st_ != CUBLAS_STATUS_SUCCESS) ::fbd::detail::cublas_fail(fbd_st_, #call, __FILE__, __LINE__, false); \
  } while (0)
#define FBD_CUDNN_CHECK(call)                                                                                 \
  do {                                                                                                        \
    const cudnnStatus_t fbd_st_ = (call);                                                                     \
    if (fbd_st_ != CUDNN_STATUS_SUCCESS) ::fbd::detail::cudnn_fail(fbd_st_, #call, __FILE__, __LINE__, true); \
  } while (0)
#define FBD_CUDNN_WARN(call)                                                                                   \
  do {                                                                                                         \
    const cudnnStatus_t fbd_st_ = (call);                                                                      \
    if (fbd_st_ != CUDNN_STATUS_SUCCESS) ::fbd::detail::cudnn_fail(fbd_st_, #call, __FILE__, __LINE__, false); \
  } while (0)
