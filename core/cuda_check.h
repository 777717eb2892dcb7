// Checked CUDA, cuBLAS and cuDNN calls (CUDA builds only). The throwing forms turn a failed
// call into an fbd::Error naming the call, its error string, file and line; the _WARN forms
// print the same line to stderr and carry on, for destructors, which must not throw
// (tiny-cuda-nn's habit: throwing checks in normal code, printing checks in destructors).
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <string>

namespace fbd::detail {
// throw_it: throw an fbd::Error; otherwise print "fbd: warning: ..." to stderr and return, never
// throwing (the form for destructors: even a failure to build the message is swallowed).
void cuda_fail(cudaError_t err, const char* call, const char* file, int line, bool throw_it);
void cublas_fail(cublasStatus_t st, const char* call, const char* file, int line, bool throw_it);
void cudnn_fail(cudnnStatus_t st, const char* call, const char* file, int line, bool throw_it);

// ---- messages (pure functions; tested without a GPU in tests/core/test_cuda_errors.cpp) ----

// True for the errors of a kernel that faulted while it ran (an illegal address, a trap, an
// assert...): they are sticky, every later CUDA call in the process returns them, and they
// surface at whichever call comes next, not at the launch that caused them.
bool cuda_error_is_sticky(cudaError_t err);

// "cudaErrorIllegalAddress (an illegal memory access was encountered)".
std::string cuda_error_text(cudaError_t err);

// A failed checked call: "CUDA error <text> in <call> at <file>:<line>", and for a sticky
// error the note that an earlier kernel faulted and FBD_SYNC=1 finds which one.
std::string cuda_call_message(cudaError_t err, const char* call, const char* file, int line);

// What cuda::check_launch reports for `op`. `call`: the runtime call that failed (from a
// kernels::LaunchStatus), or null for the kernel launches themselves. `synchronized`: the
// stream was waited for before the error was read (FBD_SYNC=1), so a sticky error belongs to
// this op; otherwise a sticky error may come from any earlier op, and the message says so.
std::string launch_failure_message(const char* op, cudaError_t err, bool synchronized, const char* call = nullptr);
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
