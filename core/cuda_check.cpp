// Compiled in CUDA builds only (core/CMakeLists.txt).
#include "core/cuda_check.h"

#include <cstdio>
#include <string>

#include "core/error.h"

namespace fbd::detail {
namespace {

// Throws `msg` as an fbd::Error, or prints it as a warning. The printing form never throws:
// it runs in destructors, where an exception (a bad_alloc while building the text, say) would
// end the process.
template <typename MakeMessage>
void report(MakeMessage&& make, bool throw_it) {
  if (throw_it) throw Error(make());
  try {
    const std::string msg = make();
    std::fprintf(stderr, "fbd: warning: %s\n", msg.c_str());
  } catch (...) {
    std::fputs("fbd: warning: a CUDA, cuBLAS or cuDNN call failed in a destructor\n", stderr);
  }
}

std::string where(const char* call, const char* file, int line) {
  return std::string(" in ") + call + " at " + file + ":" + std::to_string(line);
}

constexpr const char* kStickyNote =
    ": a kernel faulted earlier (this error is sticky: every CUDA call after the fault returns it); "
    "rerun with FBD_SYNC=1 to name the op that faulted";

}  // namespace

bool cuda_error_is_sticky(cudaError_t err) {
  // The errors driver_types.h documents as leaving the process in an inconsistent state.
  switch (err) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchTimeout:
    case cudaErrorAssert:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorLaunchFailure:
    case cudaErrorMpsClientTerminated:
#if CUDART_VERSION >= 13000
    case cudaErrorContained:
    case cudaErrorTensorMemoryLeak:
    case cudaErrorExternalDevice:
#endif
      return true;
    default: return false;
  }
}

std::string cuda_error_text(cudaError_t err) {
  // Both are host-side tables of the runtime: they need neither a GPU nor a driver.
  const char* name = cudaGetErrorName(err);
  const char* text = cudaGetErrorString(err);
  return std::string(name != nullptr ? name : "unknown CUDA error") + " (" + (text != nullptr ? text : "?") + ")";
}

std::string cuda_call_message(cudaError_t err, const char* call, const char* file, int line) {
  std::string msg = "CUDA error " + cuda_error_text(err) + where(call, file, line);
  if (cuda_error_is_sticky(err)) msg += kStickyNote;
  return msg;
}

std::string launch_failure_message(const char* op, cudaError_t err, bool synchronized, const char* call) {
  const std::string text = cuda_error_text(err);
  const std::string in_op = std::string("op '") + op + "'";
  if (!cuda_error_is_sticky(err)) {
    // Found when it happened: a launch rejected (bad configuration, no kernel image for this
    // GPU, out of resources) or a runtime call of the op that failed.
    if (call != nullptr) return "CUDA error in " + in_op + ": " + call + " failed: " + text;
    return "CUDA kernel launch for " + in_op + " failed: " + text;
  }
  if (synchronized) return "CUDA error in " + in_op + " (found by FBD_SYNC=1): " + text;
  return "CUDA error " + text + " found after " + in_op + kStickyNote;
}

void cuda_fail(cudaError_t err, const char* call, const char* file, int line, bool throw_it) {
  cudaGetLastError();  // clear a non-sticky error so the next call does not see it again
  report([&] { return cuda_call_message(err, call, file, line); }, throw_it);
}

void cublas_fail(cublasStatus_t st, const char* call, const char* file, int line, bool throw_it) {
  report(
      [&] {
        return std::string("cuBLAS error ") + cublasGetStatusName(st) + " (" + cublasGetStatusString(st) + ")" +
               where(call, file, line);
      },
      throw_it);
}

void cudnn_fail(cudnnStatus_t st, const char* call, const char* file, int line, bool throw_it) {
  report([&] { return std::string("cuDNN error ") + cudnnGetErrorString(st) + where(call, file, line); }, throw_it);
}

}  // namespace fbd::detail
