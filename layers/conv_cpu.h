// The CPU convolution engine, shared by Conv2d and ConvTranspose2d: direct 3x3 kernels for
// stride-1 convolutions of maps at least 16 wide (kernels/conv_direct_kernels.h), and im2col
// (kernels/im2col_kernels.h) + OpenBLAS GEMM for everything else. Raw contiguous float32 host pointers.
// Where fbd is built with oneDNN, that runs them instead unless FBD_CPU_CONV=fbd (below).
// The GEMM path:
//
//   forward:   y[n] = W col(x[n]) (+ bias)          W: [K, C*kh*kw], y: [N, K, Ho, Wo]
//   backward:  dW = sum_n dy[n] col(x[n])^T,  dx[n] = col2im(W^T dy[n])
//
// Work is cut into groups of consecutive samples, sized from the shape alone so that each
// group's GEMM has at least ~1024 columns (one sample at 32x32 and above; several for the
// deep, small feature maps). With two or more groups, the groups run in parallel, one per
// OpenMP thread, each with its own im2col buffer and single-threaded GEMMs, and the weight
// gradient is the sum of per-group partial products in group order; with one group, the
// im2col and the GEMM split themselves over the threads. Nothing depends on the thread count,
// so results are bit-identical for any OMP_NUM_THREADS.
#pragma once
#include <cstdint>
#include <string>

#include "kernels/im2col_kernels.h"

namespace fbd::nn::detail {

// y = conv(x, w) + bias (bias may be null).
void conv_forward_cpu(const float* x, const float* w, const float* bias, float* y, int64_t N, int64_t K,
                      const kernels::ConvGeom& g);

// dx (if not null) = the adjoint of x -> conv(x, w) applied to dy; dw (if not null) = the
// weight gradient. x is read only for dw. Both outputs are overwritten.
void conv_backward_cpu(const float* x, const float* w, const float* dy, float* dx, float* dw, int64_t N, int64_t K,
                       const kernels::ConvGeom& g);

// Samples per group for a given output plane size (exposed for the tests).
int64_t conv_group_size(int64_t N, int64_t plane_out);

// Which CPU algorithm runs a convolution. Auto is fbd's own choice: the direct 3x3 kernels
// (kernels/conv_direct_kernels.h) where they are faster, im2col + GEMM elsewhere; Gemm and Direct
// force one (Direct falls back to GEMM where it does not apply); OneDnn runs oneDNN
// (layers/conv_onednn.h) and Auto where oneDNN has no implementation.
// The process starts with FBD_CPU_CONV: "fbd" (Auto) or "onednn"; unset, oneDNN where fbd was
// built with it, else Auto. The test suite sets fbd: only fbd's own kernels are bit-identical for
// any thread count.
enum class CpuConvAlgo { Auto, Gemm, Direct, OneDnn };
void set_cpu_conv_algo(CpuConvAlgo a);  // OneDnn where it is not built in: an error
CpuConvAlgo cpu_conv_algo();            // the first call reads FBD_CPU_CONV (a bad value: an error)

// What runs the CPU convolutions now, for fbd info and run logs: "fbd" or "oneDNN 2.6.3".
std::string cpu_conv_backend();

}  // namespace fbd::nn::detail
