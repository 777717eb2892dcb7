// Compiled in CUDA builds only (core/CMakeLists.txt).
#include "core/cuda_check.h"

#include <cstdio>
#include <string>

#include "core/error.h"

namespace fbd::detail {
namespace {
void report(const std::string& what, const char* call, const char* file, int line, bool throw_it) {
  const std::string msg = what + " in " + call + " at " + file + ":" + std::to_string(line);
  if (throw_it) throw Error(msg);
  std::fprintf(stderr, "fbd: warning: %s\n", msg.c_str());
}
}  // namespace

void cuda_fail(cudaError_t err, const char* call, const char* file, int line, bool throw_it) {
  cudaGetLastError();  // clear a non-sticky error so the next call does not see it again
  report(std::string("CUDA error ") + cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")", call, file, line,
         throw_it);
}

void cublas_fail(cublasStatus_t st, const char* call, const char* file, int line, bool throw_it) {
  report(std::string("cuBLAS error ") + cublasGetStatusName(st) + " (" + cublasGetStatusString(st) + ")", call, file,
         line, throw_it);
}

void cudnn_fail(cudnnStatus_t st, const char* call, const char* file, int line, bool throw_it) {
  report(std::string("cuDNN error ") + cudnnGetErrorString(st), call, file, line, throw_it);
}

}  // namespace fbd::detail
