// The CUDA side of a process: per device, one stream that every kernel, copy, cuBLAS and
// cuDNN call is issued on, the cuBLAS and cuDNN handles bound to it, and the caching
// allocator. Declared without CUDA headers so CPU code can include it; in a CPU-only build
// every function throws "fbd was built without CUDA".
#pragma once
#include <cstddef>
#include <string>

#include "core/allocator.h"
#include "core/device.h"
#include "kernels/common.h"

struct cublasContext;  // cublasHandle_t
struct cudnnContext;   // cudnnHandle_t

namespace fbd::cuda {

kernels::Stream stream(int device = 0);
cublasContext* cublas(int device = 0);  // created on first use
cudnnContext* cudnn(int device = 0);    // created on first use (loading cuDNN takes ~1 s)
CachingAllocator& allocator(int device = 0);
void synchronize(int device = 0);

// Call after launching kernels for `op`: turns a launch error into an fbd::Error naming the
// op. In sync-debug mode (FBD_SYNC=1 in the environment, or set_sync_debug(true)) it first
// waits for the current device, then reads the error, so an asynchronous fault (an illegal
// address, say) is reported at the op that caused it rather than at some later call. Without
// it, a sticky fault found here may come from an earlier op, and the message says so. The
// second form also reports the status a launch function returned (its memset or CUB call).
void check_launch(const char* op);
void check_launch(const char* op, kernels::LaunchStatus status);
void set_sync_debug(bool on);
bool sync_debug();

// Stream-ordered copy between any two devices; returns after the data has arrived when the
// destination is the host, so the caller can read it. Between two GPUs the copy is ordered
// after the work already queued on both devices' streams, and later work on either stream
// after the copy.
void copy(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes);
void memset_zero(void* ptr, size_t bytes, int device = 0);

std::string device_name(int device = 0);

}  // namespace fbd::cuda
