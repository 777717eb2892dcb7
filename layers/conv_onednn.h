// oneDNN as a CPU convolution backend beside fbd's own kernels (layers/conv_cpu.h).
//
// oneDNN (Intel's deep-learning primitives, Debian's libdnnl-dev) is what PyTorch runs on the
// CPU. Its JIT convolutions work on channel-blocked layouts (nChw16c on AVX-512): each call
// reorders the plain NCHW / OIHW operands into the layouts the primitive chose, runs it and
// reorders the result back, as PyTorch's eager convolution does. Primitives are created once per
// geometry and kept (a bounded cache); the reordered copies live in fbd's host cache.
//
// Reproducibility: oneDNN gives the same bits run to run for the same shapes, machine and thread
// count, but not across thread counts (its weight gradient reduces over a thread-dependent
// split). fbd's own kernels are bit-identical for any thread count; the test suite runs them.
//
// Everything here is compiled in only where CMake found oneDNN (FBD_ONEDNN); elsewhere
// onednn_version() is empty and the conv functions return false.
#pragma once
#include <cstdint>
#include <string>

#include "kernels/im2col_kernels.h"

namespace fbd::nn::detail {

// "2.6.3" where fbd was built with oneDNN, else "".
std::string onednn_version();

// y = conv(x, w) + bias (bias may be null), as conv_forward_cpu. Returns false, having written
// nothing, where oneDNN is not built in, N == 0, or oneDNN has no implementation for the geometry.
bool onednn_conv_forward(const float* x, const float* w, const float* bias, float* y, int64_t N, int64_t K,
                         const kernels::ConvGeom& g);

// dx (if not null) and dw (if not null), as conv_backward_cpu; false as above.
bool onednn_conv_backward(const float* x, const float* w, const float* dy, float* dx, float* dw, int64_t N, int64_t K,
                          const kernels::ConvGeom& g);

// Primitives held by the cache (for tests).
int64_t onednn_cached_primitives();

}  // namespace fbd::nn::detail
