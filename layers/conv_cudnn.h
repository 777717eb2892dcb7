// The CUDA convolution engine: cuDNN's legacy convolution API (cudnnConvolutionForward,
// BackwardData, BackwardFilter), NCHW float32, CUDNN_FMA_MATH (plain float32; no TF32).
//
// Algorithms are chosen once per shape: the first call with a given geometry, batch size,
// direction and determinism setting times every algorithm with cudnnFind*AlgorithmEx (its
// outputs go to scratch buffers, so the caller's tensors are untouched), and the fastest one
// that fits the search workspace is cached with its workspace size. Every later call takes
// that workspace from the caching allocator (detail::Workspace) and runs the algorithm.
// With set_deterministic(true), only algorithms cuDNN reports as deterministic are chosen.
// CUDA builds only; the functions take raw device pointers on cuda:`device`.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/im2col_kernels.h"

namespace fbd::nn {

// Deterministic GPU convolutions (also part of the algorithm cache key). Off by default.
void set_deterministic(bool on);
bool deterministic();

namespace detail {

// y = alpha conv(x, w) + beta y.
void cudnn_conv_forward(int device, const float* x, const float* w, float* y, int64_t N, int64_t K,
                        const kernels::ConvGeom& g, float beta);
// dx = the adjoint of x -> conv(x, w) applied to dy (overwrites dx).
void cudnn_conv_backward_data(int device, const float* w, const float* dy, float* dx, int64_t N, int64_t K,
                              const kernels::ConvGeom& g);
// dw = the weight gradient (overwrites dw).
void cudnn_conv_backward_filter(int device, const float* x, const float* dy, float* dw, int64_t N, int64_t K,
                                const kernels::ConvGeom& g);

// Number of cached algorithm choices (for tests: a second call with the same shape adds none).
size_t cudnn_conv_cache_size();

}  // namespace detail
}  // namespace fbd::nn
