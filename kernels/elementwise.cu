// Elementwise CUDA kernels. Formulas and gradients: see elementwise.cuh.
//
// Threads: a grid-stride loop, one full wave of blocks (launch.cuh). When every pointer is
// 16-byte aligned the main loop moves float4s (one 128-bit load per operand per thread),
// then a scalar loop handles the last n % 4 elements.
// Bound: memory bandwidth. Forward moves 8 bytes per element (read x, write y), backward
// 16 (x, y, gy, gx), binary 12; the arithmetic is a few flops per element, far below the
// H100's ratio of ~20 flops per byte, so the target is the device-to-device copy bandwidth.
#include "kernels/elementwise.cuh"
#include "kernels/launch.cuh"

namespace fbd::kernels {
namespace {

template <UnaryOp OP, bool VEC>
__global__ void unary_fwd_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n, UnaryParams p) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  int64_t done = 0;
  if constexpr (VEC) {
    const int64_t n4 = n / 4;
    for (int64_t j = i; j < n4; j += stride) {
      float4 v = reinterpret_cast<const float4*>(x)[j];
      v.x = unary_fwd<OP>(v.x, p);
      v.y = unary_fwd<OP>(v.y, p);
      v.z = unary_fwd<OP>(v.z, p);
      v.w = unary_fwd<OP>(v.w, p);
      reinterpret_cast<float4*>(y)[j] = v;
    }
    done = n4 * 4;
  }
  for (int64_t j = done + i; j < n; j += stride) y[j] = unary_fwd<OP>(x[j], p);
}

template <UnaryOp OP, bool VEC>
__global__ void unary_bwd_kernel(const float* __restrict__ x, const float* __restrict__ y, const float* __restrict__ gy,
                                 float* __restrict__ gx, int64_t n, UnaryParams p) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  int64_t done = 0;
  if constexpr (VEC) {
    const int64_t n4 = n / 4;
    for (int64_t j = i; j < n4; j += stride) {
      const float4 xv = reinterpret_cast<const float4*>(x)[j];
      const float4 yv = reinterpret_cast<const float4*>(y)[j];
      const float4 gv = reinterpret_cast<const float4*>(gy)[j];
      float4 r;
      r.x = unary_bwd<OP>(xv.x, yv.x, gv.x, p);
      r.y = unary_bwd<OP>(xv.y, yv.y, gv.y, p);
      r.z = unary_bwd<OP>(xv.z, yv.z, gv.z, p);
      r.w = unary_bwd<OP>(xv.w, yv.w, gv.w, p);
      reinterpret_cast<float4*>(gx)[j] = r;
    }
    done = n4 * 4;
  }
  for (int64_t j = done + i; j < n; j += stride) gx[j] = unary_bwd<OP>(x[j], y[j], gy[j], p);
}

// Note: no __restrict__ on the binary kernels, because out may alias a (in-place accumulation).
template <BinaryOp OP, bool VEC>
__global__ void binary_kernel(const float* a, const float* b, float* out, int64_t n) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  int64_t done = 0;
  if constexpr (VEC) {
    const int64_t n4 = n / 4;
    for (int64_t j = i; j < n4; j += stride) {
      const float4 av = reinterpret_cast<const float4*>(a)[j];
      const float4 bv = reinterpret_cast<const float4*>(b)[j];
      float4 r;
      r.x = binary_fn<OP>(av.x, bv.x);
      r.y = binary_fn<OP>(av.y, bv.y);
      r.z = binary_fn<OP>(av.z, bv.z);
      r.w = binary_fn<OP>(av.w, bv.w);
      reinterpret_cast<float4*>(out)[j] = r;
    }
    done = n4 * 4;
  }
  for (int64_t j = done + i; j < n; j += stride) out[j] = binary_fn<OP>(a[j], b[j]);
}

// Broadcast: one thread per output element, operand offsets decoded from the linear index
// (core/ coalesces dimensions first, so a per-channel [N,C,H,W] x [1,C,1,1] op decodes 3 dims).
template <BinaryOp OP>
__global__ void binary_broadcast_kernel(const float* a, const float* b, float* out, StridedDims d, int64_t n) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  for (int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; j < n; j += stride) {
    int64_t oa, ob;
    strided_offsets(d, j, oa, ob);
    out[j] = binary_fn<OP>(a[oa], b[ob]);
  }
}

}  // namespace

void unary_forward_cuda(UnaryOp op, const float* x, float* y, int64_t n, UnaryParams p, Stream s) {
  if (n == 0) return;
  const bool vec = aligned16(x) && aligned16(y);
  dispatch_unary(op, [&]<UnaryOp OP>() {
    if (vec)
      unary_fwd_kernel<OP, true><<<grid_for(n / 4 + 1), kBlock, 0, s>>>(x, y, n, p);
    else
      unary_fwd_kernel<OP, false><<<grid_for(n), kBlock, 0, s>>>(x, y, n, p);
  });
}

void unary_backward_cuda(UnaryOp op, const float* x, const float* y, const float* gy, float* gx, int64_t n,
                         UnaryParams p, Stream s) {
  if (n == 0) return;
  const bool vec = aligned16(x) && aligned16(y) && aligned16(gy) && aligned16(gx);
  dispatch_unary(op, [&]<UnaryOp OP>() {
    if (vec)
      unary_bwd_kernel<OP, true><<<grid_for(n / 4 + 1), kBlock, 0, s>>>(x, y, gy, gx, n, p);
    else
      unary_bwd_kernel<OP, false><<<grid_for(n), kBlock, 0, s>>>(x, y, gy, gx, n, p);
  });
}

void binary_cuda(BinaryOp op, const float* a, const float* b, float* out, int64_t n, Stream s) {
  if (n == 0) return;
  const bool vec = aligned16(a) && aligned16(b) && aligned16(out);
  dispatch_binary(op, [&]<BinaryOp OP>() {
    if (vec)
      binary_kernel<OP, true><<<grid_for(n / 4 + 1), kBlock, 0, s>>>(a, b, out, n);
    else
      binary_kernel<OP, false><<<grid_for(n), kBlock, 0, s>>>(a, b, out, n);
  });
}

void binary_broadcast_cuda(BinaryOp op, const float* a, const float* b, float* out, const StridedDims& d, Stream s) {
  int64_t n = 1;
  for (int k = 0; k < d.ndim; ++k) n *= d.shape[k];
  if (n == 0) return;
  dispatch_binary(op,
                  [&]<BinaryOp OP>() { binary_broadcast_kernel<OP><<<grid_for(n), kBlock, 0, s>>>(a, b, out, d, n); });
}

}  // namespace fbd::kernels
