// Internal helpers shared by the op implementations (not part of the public API).
#pragma once
#include <type_traits>
#include <vector>

#include "core/cuda_context.h"
#include "core/tensor.h"
#include "kernels/common.h"

namespace fbd::detail {

void check_float(const Tensor& t, const char* op);
void check_same_device(const Tensor& a, const Tensor& b, const char* op);
int normalize_axis(int axis, int ndim, const char* op);
std::vector<int64_t> contiguous_strides(const Shape& shape);

// Builds the StridedDims of a two-operand loop over `sizes`, dropping size-1 dimensions and
// merging neighbours that are contiguous in both operands, so kernels decode as few
// dimensions as possible (a per-channel op on [N,C,H,W] becomes 3 dims, a plain copy 1).
kernels::StridedDims coalesce(const std::vector<int64_t>& sizes, const std::vector<int64_t>& stride_a,
                              const std::vector<int64_t>& stride_b);

// Runs `cpu()` for a CPU tensor, or `gpu(stream)` then the launch check for a CUDA one. A
// `gpu` that returns the kernels::LaunchStatus of a launch function has it checked too.
// In a CPU-only build the CUDA branch is never compiled into a call, so the kernels'
// *_cuda symbols need not exist.
template <typename CpuFn, typename GpuFn>
void dispatch(const Tensor& t, const char* op, CpuFn&& cpu, GpuFn&& gpu) {
  if (t.is_cpu()) {
    cpu();
    return;
  }
#if FBD_WITH_CUDA
  const kernels::Stream s = cuda::stream(t.device().index);
  if constexpr (std::is_same_v<std::invoke_result_t<GpuFn&, kernels::Stream>, kernels::LaunchStatus>) {
    cuda::check_launch(op, gpu(s));
  } else {
    gpu(s);
    cuda::check_launch(op);
  }
#else
  (void)gpu;
  FBD_FAIL(op, ": fbd was built without CUDA");
#endif
}

// Scratch device memory for one op (returned to the caching allocator when it goes away).
class Workspace {
 public:
  Workspace(size_t bytes, Device device);
  void* get() const { return t_.defined() ? t_.raw_data() : nullptr; }

 private:
  Tensor t_;
};

}  // namespace fbd::detail
