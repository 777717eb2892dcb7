// Launch-geometry helpers shared by the .cu files (CUDA only).
#pragma once
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "kernels/common.h"

namespace fbd::kernels {

inline constexpr int kBlock = 256;

// Number of SMs of the current device, read once per process.
inline int sm_count() {
  static const int count = [] {
    int dev = 0, sms = 0;
    if (cudaGetDevice(&dev) != cudaSuccess ||
        cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess) {
      cudaGetLastError();  // clear the sticky error; the caller's launch will report the real fault
      return 1;
    }
    return std::max(sms, 1);
  }();
  return count;
}

// Grid for a grid-stride loop over `work` items: enough blocks to fill every SM once
// (2048 resident threads per SM on sm_80/sm_90 = 8 blocks of 256), no more, so each
// thread loops over several items and the launch cost is amortised.
inline int grid_for(int64_t work, int block = kBlock) {
  const int64_t needed = (work + block - 1) / block;
  const int64_t full_wave = int64_t(sm_count()) * (2048 / block);
  return static_cast<int>(std::max<int64_t>(1, std::min(needed, full_wave)));
}

inline bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

// The LaunchStatus of a runtime call's result (kernels/common.h).
inline LaunchStatus status_of(cudaError_t err, const char* call) {
  return err == cudaSuccess ? LaunchStatus{} : LaunchStatus{int(err), call};
}

}  // namespace fbd::kernels
