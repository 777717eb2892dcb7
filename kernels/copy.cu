// Copy kernels: fill, strided copy and cast.
// Threads: grid-stride loops, one element per thread per iteration. The strided copy decodes
// the source and destination offsets from the linear destination index (core/ coalesces
// contiguous dimensions first, so a slice or concat along one axis decodes 2-3 dims).
// Bound: memory bandwidth (fill writes 4 B/element, copy moves 2x the element size).
#include "kernels/copy.cuh"
#include "kernels/launch.cuh"

namespace fbd::kernels {
namespace {

__global__ void fill_kernel(float* p, int64_t n, float value) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) p[i] = value;
}

template <typename T>
__global__ void strided_copy_kernel(const T* __restrict__ src, T* __restrict__ dst, StridedDims d, int64_t n) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    int64_t oa, ob;
    strided_offsets(d, i, oa, ob);
    dst[ob] = src[oa];
  }
}

template <typename From, typename To>
__global__ void cast_kernel(const From* __restrict__ src, To* __restrict__ dst, int64_t n) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    dst[i] = convert<From, To>(src[i]);
}

}  // namespace

void fill_f32_cuda(float* p, int64_t n, float value, Stream s) {
  if (n > 0) fill_kernel<<<grid_for(n), kBlock, 0, s>>>(p, n, value);
}

void strided_copy_cuda(const void* src, void* dst, size_t elem_bytes, const StridedDims& d, Stream s) {
  int64_t n = 1;
  for (int k = 0; k < d.ndim; ++k) n *= d.shape[k];
  if (n == 0) return;
  if (elem_bytes == 4) {
    strided_copy_kernel<<<grid_for(n), kBlock, 0, s>>>(static_cast<const uint32_t*>(src), static_cast<uint32_t*>(dst),
                                                       d, n);
  } else {
    strided_copy_kernel<<<grid_for(n), kBlock, 0, s>>>(static_cast<const uint8_t*>(src), static_cast<uint8_t*>(dst), d,
                                                       n);
  }
}

void cast_cuda(const void* src, ElemType from, void* dst, ElemType to, int64_t n, Stream s) {
  if (n == 0) return;
  dispatch_cast(from, to, [&]<typename From, typename To>() {
    cast_kernel<<<grid_for(n), kBlock, 0, s>>>(static_cast<const From*>(src), static_cast<To*>(dst), n);
  });
}

}  // namespace fbd::kernels
