// Shared definitions for the kernel layer: the host/device qualifier used by the per-element
// math, the stream type, and the launch geometry helpers. Includable by g++ (no CUDA headers).
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define FBD_HD __host__ __device__ __forceinline__
#else
#define FBD_HD inline
#endif

// cudaStream_t is `struct CUstream_st*`; declaring it here lets kernel headers name a stream
// without pulling the CUDA runtime into CPU-only translation units.
struct CUstream_st;

namespace fbd::kernels {

using Stream = CUstream_st*;

// What a CUDA launch function returns when it makes CUDA runtime calls of its own besides
// launching kernels (a cudaMemsetAsync, a CUB algorithm): the first failure's cudaError_t, kept
// an int so this header needs no CUDA headers (0 is cudaSuccess), and the call that returned it.
// Such failures need not show up in cudaGetLastError (CUB validates its arguments itself), so
// the op passes the status to cuda::check_launch(op, status) (detail::dispatch does), which also
// checks the kernel launches as check_launch(op) does. [[nodiscard]]: ignoring it is a warning.
struct [[nodiscard]] LaunchStatus {
  int error = 0;
  const char* call = nullptr;
  constexpr bool ok() const { return error == 0; }
};

// Below this many elements the CPU twins run on one thread: spawning an OpenMP team costs
// more than the work.
inline constexpr int64_t kCpuParallelThreshold = 1 << 15;

// Maximum rank of a broadcast or strided view handled by the kernels.
inline constexpr int kMaxDims = 8;

// Shape and strides (in elements) of one operand of a broadcast / strided loop. Passed to
// CUDA kernels by value.
struct StridedDims {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t stride_a[kMaxDims] = {};
  int64_t stride_b[kMaxDims] = {};
};

// Offsets of element `linear` (row-major index into `shape`) in the two strided operands.
FBD_HD void strided_offsets(const StridedDims& d, int64_t linear, int64_t& off_a, int64_t& off_b) {
  off_a = 0;
  off_b = 0;
  for (int k = d.ndim - 1; k >= 0; --k) {
    const int64_t idx = linear % d.shape[k];
    linear /= d.shape[k];
    off_a += idx * d.stride_a[k];
    off_b += idx * d.stride_b[k];
  }
}

}  // namespace fbd::kernels
