// The CUDA convolution engine: cuDNN's legacy convolution API (cudnnConvolutionForward,
// BackwardData, BackwardFilter), NCHW float32, CUDNN_FMA_MATH (plain float32; no TF32).
//
// Algorithms are chosen once per key: the direction, device, determinism setting, batch size,
// geometry, and the alignment of the three operands' addresses (cuDNN picks its kernels by
// alignment, so a view that starts 4 bytes into a buffer must not reuse a choice made for
// aligned buffers). The first call with a key chooses, and the choice is cached with its
// workspace size; every later call takes that workspace from the caching allocator
// (detail::Workspace) and runs the algorithm. How the first call chooses:
//  - by default it times every algorithm with cudnnFind*AlgorithmEx (outputs go to scratch
//    buffers with the same alignment as the real ones, so the caller's tensors are untouched)
//    and takes the fastest that fits the search workspace. Timing can pick a different
//    algorithm in another process;
//  - with set_deterministic(true) nothing is timed: it takes the first algorithm of a fixed
//    preference list of deterministic algorithms (those cudnn_ops.h does not mark
//    non-deterministic: no atomics in the backward passes) that cuDNN reports, through
//    cudnnGet*Algorithm_v7, as supported for the shape, deterministic, and within the search
//    workspace. The same shape then gets the same algorithm in every process.
// The convolutions run in CUDA builds only, on raw device pointers on cuda:`device`; the key
// and the deterministic choice are pure functions, built and tested everywhere.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

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

// ---- the algorithm cache's pure parts (tests/core/test_conv_algo_key.cpp) ----

enum class ConvDir : int64_t { Forward, BackwardData, BackwardFilter };

// The largest power of two that divides the address, at most 256 (256 for null).
int64_t pointer_alignment(const void* p);

// The cache key of one call. a, b, c: its operands in the order of the call (forward x, w, y;
// backward data w, dy, dx; backward filter x, dy, dw).
using ConvAlgoKey = std::array<int64_t, 21>;
ConvAlgoKey conv_algo_key(ConvDir dir, int device, bool deterministic, int64_t N, int64_t K, const kernels::ConvGeom& g,
                          const void* a, const void* b, const void* c);

// What cuDNN reports about one algorithm for one convolution (a cudnnGet*Algorithm_v7 entry).
struct ConvAlgoReport {
  int algo = 0;
  bool supported = false;      // status CUDNN_STATUS_SUCCESS
  bool deterministic = false;  // determinism CUDNN_DETERMINISTIC
  size_t workspace = 0;        // bytes
};

// The first algorithm of `preference` that `reports` lists as supported and deterministic with
// at most `cap` bytes of workspace; -1 when there is none. Algorithms missing from `reports`
// are skipped.
int first_deterministic_algo(const std::vector<int>& preference, const std::vector<ConvAlgoReport>& reports,
                             size_t cap);

}  // namespace detail
}  // namespace fbd::nn
