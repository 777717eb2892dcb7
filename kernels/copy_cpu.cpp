// CPU twin of copy.cu.
#include <algorithm>
#include <cstring>

#include "kernels/copy.cuh"

namespace fbd::kernels {

void fill_f32_cpu(float* p, int64_t n, float value) {
#pragma omp parallel for schedule(static) if (n > kCpuParallelThreshold)
  for (int64_t i = 0; i < n; ++i) p[i] = value;
}

template <typename T>
static void strided_copy_typed(const T* src, T* dst, const StridedDims& d) {
  int64_t n = 1;
  for (int k = 0; k < d.ndim; ++k) n *= d.shape[k];
  const int64_t inner = d.ndim > 0 ? d.shape[d.ndim - 1] : 1;
  const int64_t sa = d.ndim > 0 ? d.stride_a[d.ndim - 1] : 1;
  const int64_t sb = d.ndim > 0 ? d.stride_b[d.ndim - 1] : 1;
  const int64_t rows = inner > 0 ? n / inner : 0;
#pragma omp parallel for schedule(static) if (n > kCpuParallelThreshold)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t oa = 0, ob = 0;
    strided_offsets(d, r * inner, oa, ob);
    if (sa == 1 && sb == 1) {
      std::memcpy(dst + ob, src + oa, size_t(inner) * sizeof(T));
    } else if (sa == 0 && sb == 1) {  // broadcasting along the contiguous axis (a mean's backward)
      std::fill(dst + ob, dst + ob + inner, src[oa]);
    } else {
      for (int64_t i = 0; i < inner; ++i) dst[ob + i * sb] = src[oa + i * sa];
    }
  }
}

void strided_copy_cpu(const void* src, void* dst, size_t elem_bytes, const StridedDims& d) {
  if (elem_bytes == 4)
    strided_copy_typed(static_cast<const uint32_t*>(src), static_cast<uint32_t*>(dst), d);
  else
    strided_copy_typed(static_cast<const uint8_t*>(src), static_cast<uint8_t*>(dst), d);
}

void cast_cpu(const void* src, ElemType from, void* dst, ElemType to, int64_t n) {
  dispatch_cast(from, to, [&]<typename From, typename To>() {
    const From* s = static_cast<const From*>(src);
    To* o = static_cast<To*>(dst);
#pragma omp parallel for schedule(static) if (n > kCpuParallelThreshold)
    for (int64_t i = 0; i < n; ++i) o[i] = convert<From, To>(s[i]);
  });
}

}  // namespace fbd::kernels
