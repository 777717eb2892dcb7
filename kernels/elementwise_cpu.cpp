// CPU twin of elementwise.cu: the same per-element math (elementwise.cuh) in OpenMP loops.
// Every element is independent, so the result is bit-identical for any number of threads.
#include "kernels/elementwise.cuh"

namespace fbd::kernels {

void unary_forward_cpu(UnaryOp op, const float* x, float* y, int64_t n, UnaryParams p) {
  dispatch_unary(op, [&]<UnaryOp OP>() {
#pragma omp parallel for schedule(static) if (n > kCpuParallelThreshold)
    for (int64_t i = 0; i < n; ++i) y[i] = unary_fwd<OP>(x[i], p);
  });
}

void unary_backward_cpu(UnaryOp op, const float* x, const float* y, const float* gy, float* gx, int64_t n,
                        UnaryParams p) {
  dispatch_unary(op, [&]<UnaryOp OP>() {
#pragma omp parallel for schedule(static) if (n > kCpuParallelThreshold)
    for (int64_t i = 0; i < n; ++i) gx[i] = unary_bwd<OP>(x[i], y[i], gy[i], p);
  });
}

void binary_cpu(BinaryOp op, const float* a, const float* b, float* out, int64_t n) {
  dispatch_binary(op, [&]<BinaryOp OP>() {
#pragma omp parallel for schedule(static) if (n > kCpuParallelThreshold)
    for (int64_t i = 0; i < n; ++i) out[i] = binary_fn<OP>(a[i], b[i]);
  });
}

void binary_broadcast_cpu(BinaryOp op, const float* a, const float* b, float* out, const StridedDims& d) {
  int64_t n = 1;
  for (int k = 0; k < d.ndim; ++k) n *= d.shape[k];
  // Walk the innermost dimension in a tight loop; the outer index is decoded once per row.
  const int64_t inner = d.ndim > 0 ? d.shape[d.ndim - 1] : 1;
  const int64_t sa = d.ndim > 0 ? d.stride_a[d.ndim - 1] : 0;
  const int64_t sb = d.ndim > 0 ? d.stride_b[d.ndim - 1] : 0;
  const int64_t rows = inner > 0 ? n / inner : 0;
  dispatch_binary(op, [&]<BinaryOp OP>() {
#pragma omp parallel for schedule(static) if (n > kCpuParallelThreshold)
    for (int64_t r = 0; r < rows; ++r) {
      int64_t oa = 0, ob = 0;
      strided_offsets(d, r * inner, oa, ob);
      const float* pa = a + oa;
      const float* pb = b + ob;
      float* o = out + r * inner;
      // The common layouts get loops the compiler can vectorise.
      if (sa == 1 && sb == 1) {
        for (int64_t i = 0; i < inner; ++i) o[i] = binary_fn<OP>(pa[i], pb[i]);
      } else if (sa == 1 && sb == 0) {
        const float vb = pb[0];
        for (int64_t i = 0; i < inner; ++i) o[i] = binary_fn<OP>(pa[i], vb);
      } else if (sa == 0 && sb == 1) {
        const float va = pa[0];
        for (int64_t i = 0; i < inner; ++i) o[i] = binary_fn<OP>(va, pb[i]);
      } else {
        for (int64_t i = 0; i < inner; ++i) o[i] = binary_fn<OP>(pa[i * sa], pb[i * sb]);
      }
    }
  });
}

}  // namespace fbd::kernels
