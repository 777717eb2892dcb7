#include "layers/conv_cudnn.h"

#include <atomic>

namespace fbd::nn {

namespace {
std::atomic<bool> g_deterministic{false};
}

void set_deterministic(bool on) { g_deterministic = on; }
bool deterministic() { return g_deterministic; }

// ---- the algorithm cache's pure parts (every build) ----

namespace detail {

int64_t pointer_alignment(const void* p) {
  constexpr uintptr_t kCap = 256;
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if (a == 0) return int64_t(kCap);
  const uintptr_t lowest = a & (~a + 1);  // the lowest set bit: the largest power of two dividing a
  return int64_t(lowest < kCap ? lowest : kCap);
}

ConvAlgoKey conv_algo_key(ConvDir dir, int device, bool deterministic, int64_t N, int64_t K, const kernels::ConvGeom& g,
                          const void* a, const void* b, const void* c) {
  return {int64_t(dir),
          device,
          deterministic ? 1 : 0,
          N,
          K,
          g.C,
          g.H,
          g.W,
          g.Ho,
          g.Wo,
          g.kh,
          g.kw,
          g.sh,
          g.sw,
          g.ph,
          g.pw,
          g.dh,
          g.dw,
          pointer_alignment(a),
          pointer_alignment(b),
          pointer_alignment(c)};
}

int first_deterministic_algo(const std::vector<int>& preference, const std::vector<ConvAlgoReport>& reports,
                             size_t cap) {
  for (const int algo : preference)
    for (const ConvAlgoReport& r : reports)
      if (r.algo == algo && r.supported && r.deterministic && r.workspace <= cap) return algo;
  return -1;
}

}  // namespace detail

}  // namespace fbd::nn

#if FBD_WITH_CUDA
#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <vector>

#include "core/cuda_check.h"
#include "core/cuda_context.h"
#include "core/op_util.h"

namespace fbd::nn::detail {

namespace {

// ---- descriptors (RAII) ----
struct TensorDesc {
  cudnnTensorDescriptor_t d = nullptr;
  TensorDesc(int64_t n, int64_t c, int64_t h, int64_t w) {
    FBD_CUDNN_CHECK(cudnnCreateTensorDescriptor(&d));
    const cudnnStatus_t st =
        cudnnSetTensor4dDescriptor(d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, int(n), int(c), int(h), int(w));
    if (st != CUDNN_STATUS_SUCCESS) cudnnDestroyTensorDescriptor(d);
    FBD_CUDNN_CHECK(st);
  }
  ~TensorDesc() { FBD_CUDNN_WARN(cudnnDestroyTensorDescriptor(d)); }
  TensorDesc(const TensorDesc&) = delete;
  TensorDesc& operator=(const TensorDesc&) = delete;
};

struct FilterDesc {
  cudnnFilterDescriptor_t d = nullptr;
  FilterDesc(int64_t k, int64_t c, int64_t h, int64_t w) {
    FBD_CUDNN_CHECK(cudnnCreateFilterDescriptor(&d));
    const cudnnStatus_t st =
        cudnnSetFilter4dDescriptor(d, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, int(k), int(c), int(h), int(w));
    if (st != CUDNN_STATUS_SUCCESS) cudnnDestroyFilterDescriptor(d);
    FBD_CUDNN_CHECK(st);
  }
  ~FilterDesc() { FBD_CUDNN_WARN(cudnnDestroyFilterDescriptor(d)); }
  FilterDesc(const FilterDesc&) = delete;
  FilterDesc& operator=(const FilterDesc&) = delete;
};

struct ConvDesc {
  cudnnConvolutionDescriptor_t d = nullptr;
  explicit ConvDesc(const kernels::ConvGeom& g) {
    FBD_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&d));
    cudnnStatus_t st = cudnnSetConvolution2dDescriptor(d, int(g.ph), int(g.pw), int(g.sh), int(g.sw), int(g.dh),
                                                       int(g.dw), CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT);
    // FMA math: float32 arithmetic only. CUDNN_DEFAULT_MATH would allow TF32 tensor cores on
    // sm_80 and later, which fbd keeps as an explicit (future) switch, not a default.
    if (st == CUDNN_STATUS_SUCCESS) st = cudnnSetConvolutionMathType(d, CUDNN_FMA_MATH);
    if (st != CUDNN_STATUS_SUCCESS) cudnnDestroyConvolutionDescriptor(d);
    FBD_CUDNN_CHECK(st);
  }
  ~ConvDesc() { FBD_CUDNN_WARN(cudnnDestroyConvolutionDescriptor(d)); }
  ConvDesc(const ConvDesc&) = delete;
  ConvDesc& operator=(const ConvDesc&) = delete;
};

// The descriptors of one convolution: x [N, C, H, W], w [K, C, kh, kw], y [N, K, Ho, Wo].
struct Descs {
  TensorDesc x, y;
  FilterDesc w;
  ConvDesc conv;
  Descs(int64_t N, int64_t K, const kernels::ConvGeom& g)
      : x(N, g.C, g.H, g.W), y(N, K, g.Ho, g.Wo), w(K, g.C, g.kh, g.kw), conv(g) {}
};

// ---- the algorithm cache ----
struct Choice {
  int algo = 0;
  size_t workspace = 0;
};

std::mutex g_cache_mu;
std::map<ConvAlgoKey, Choice>& cache() {
  static std::map<ConvAlgoKey, Choice> c;
  return c;
}

// Deterministic mode's preference lists, best first: every algorithm cudnn_ops.h does not mark
// non-deterministic (backward data ALGO_0 and backward filter ALGO_0 and ALGO_3 add with
// atomics; backward filter WINOGRAD is not implemented). The implicit GEMMs first: they
// support every geometry and need little or no workspace.
const std::vector<int> kDeterministicForward = {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM,
                                                CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                                CUDNN_CONVOLUTION_FWD_ALGO_GEMM,
                                                CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD,
                                                CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED,
                                                CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING,
                                                CUDNN_CONVOLUTION_FWD_ALGO_FFT,
                                                CUDNN_CONVOLUTION_FWD_ALGO_DIRECT};
const std::vector<int> kDeterministicBackwardData = {
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_1, CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD,
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED, CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING,
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT};
const std::vector<int> kDeterministicBackwardFilter = {
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED,
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT};

// The most workspace an algorithm search may offer: a quarter of the free memory, at most
// 512 MiB (the block stays in the caching allocator afterwards, so keep it modest).
size_t search_cap() {
  size_t free_b = 0, total_b = 0;
  FBD_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  return std::min<size_t>(free_b / 4, size_t(512) << 20);
}

// The fastest successful result of a timed search that fits.
template <typename Perf>
Choice pick_fastest(const std::vector<Perf>& perf, int returned, size_t cap, const char* what) {
  for (int i = 0; i < returned; ++i) {
    const Perf& p = perf[size_t(i)];
    if (p.status == CUDNN_STATUS_SUCCESS && p.memory <= cap) return Choice{int(p.algo), p.memory};
  }
  FBD_FAIL("cuDNN found no usable ", what, " algorithm");
}

// Deterministic mode: the first algorithm of `preference` that cuDNN's heuristics (no timing)
// report usable and deterministic for this shape. workspace_of(algo) asks cuDNN for the chosen
// algorithm's workspace size; the larger of it and the heuristics' figure is kept.
template <typename Perf, typename WorkspaceOf>
Choice pick_deterministic(const std::vector<Perf>& perf, int returned, const std::vector<int>& preference, size_t cap,
                          const char* what, WorkspaceOf&& workspace_of) {
  std::vector<ConvAlgoReport> reports;
  for (int i = 0; i < returned; ++i) {
    const Perf& p = perf[size_t(i)];
    reports.push_back({int(p.algo), p.status == CUDNN_STATUS_SUCCESS, p.determinism == CUDNN_DETERMINISTIC, p.memory});
  }
  const int algo = first_deterministic_algo(preference, reports, cap);
  FBD_CHECK(algo >= 0, "cuDNN has no deterministic ", what, " algorithm for this shape (deterministic mode is on)");
  size_t bytes = 0;
  for (const ConvAlgoReport& r : reports)
    if (r.algo == algo) bytes = r.workspace;
  return Choice{algo, std::max(bytes, workspace_of(algo))};
}

// A pointer into `scratch` (which has 256 spare bytes) with the same alignment as `real`, so a
// timed search measures the kernels the real call will run.
void* aligned_like(void* scratch, const void* real) {
  return static_cast<char*>(scratch) + (reinterpret_cast<uintptr_t>(real) & 255u);
}

// Looks the choice up, running `search` (under the lock, once per key) when it is missing.
template <typename Search>
Choice lookup(const ConvAlgoKey& key, Search&& search) {
  std::lock_guard<std::mutex> lock(g_cache_mu);
  auto it = cache().find(key);
  if (it != cache().end()) return it->second;
  const Choice c = search();
  cache().emplace(key, c);
  return c;
}

void check_dims(int64_t N, int64_t K, const kernels::ConvGeom& g) {
  const int64_t lim = int64_t(1) << 31;
  FBD_CHECK(N * g.C * g.H * g.W < lim && N * K * g.Ho * g.Wo < lim && K * g.rows() < lim,
            "conv2d: tensors above 2^31 elements are not supported by cuDNN's 4-d descriptors");
}

}  // namespace

size_t cudnn_conv_cache_size() {
  std::lock_guard<std::mutex> lock(g_cache_mu);
  return cache().size();
}

void cudnn_conv_forward(int device, const float* x, const float* w, float* y, int64_t N, int64_t K,
                        const kernels::ConvGeom& g, float beta) {
  check_dims(N, K, g);
  cudnnHandle_t h = cuda::cudnn(device);
  const Device dev = Device::cuda(device);
  Descs d(N, K, g);
  const bool det = deterministic();
  const Choice c = lookup(conv_algo_key(ConvDir::Forward, device, det, N, K, g, x, w, y), [&] {
    int count = 0, returned = 0;
    FBD_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(h, &count));
    std::vector<cudnnConvolutionFwdAlgoPerf_t> perf(size_t(std::max(count, 1)));
    const size_t cap = search_cap();
    if (det) {
      FBD_CUDNN_CHECK(
          cudnnGetConvolutionForwardAlgorithm_v7(h, d.x.d, d.w.d, d.conv.d, d.y.d, count, &returned, perf.data()));
      return pick_deterministic(perf, returned, kDeterministicForward, cap, "forward convolution", [&](int algo) {
        size_t bytes = 0;
        FBD_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(h, d.x.d, d.w.d, d.conv.d, d.y.d,
                                                                static_cast<cudnnConvolutionFwdAlgo_t>(algo), &bytes));
        return bytes;
      });
    }
    fbd::detail::Workspace ws(cap, dev), out(size_t(N * K * g.Ho * g.Wo) * sizeof(float) + 256, dev);
    FBD_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(h, d.x.d, x, d.w.d, w, d.conv.d, d.y.d,
                                                           aligned_like(out.get(), y), count, &returned, perf.data(),
                                                           ws.get(), cap));
    return pick_fastest(perf, returned, cap, "forward convolution");
  });
  fbd::detail::Workspace ws(c.workspace, dev);
  const float alpha = 1.0f;
  FBD_CUDNN_CHECK(cudnnConvolutionForward(h, &alpha, d.x.d, x, d.w.d, w, d.conv.d,
                                          static_cast<cudnnConvolutionFwdAlgo_t>(c.algo), ws.get(), c.workspace, &beta,
                                          d.y.d, y));
}

void cudnn_conv_backward_data(int device, const float* w, const float* dy, float* dx, int64_t N, int64_t K,
                              const kernels::ConvGeom& g) {
  check_dims(N, K, g);
  cudnnHandle_t h = cuda::cudnn(device);
  const Device dev = Device::cuda(device);
  Descs d(N, K, g);
  const bool det = deterministic();
  const Choice c = lookup(conv_algo_key(ConvDir::BackwardData, device, det, N, K, g, w, dy, dx), [&] {
    int count = 0, returned = 0;
    FBD_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, &count));
    std::vector<cudnnConvolutionBwdDataAlgoPerf_t> perf(size_t(std::max(count, 1)));
    const size_t cap = search_cap();
    if (det) {
      FBD_CUDNN_CHECK(
          cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w.d, d.y.d, d.conv.d, d.x.d, count, &returned, perf.data()));
      return pick_deterministic(
          perf, returned, kDeterministicBackwardData, cap, "backward-data convolution", [&](int algo) {
            size_t bytes = 0;
            FBD_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(
                h, d.w.d, d.y.d, d.conv.d, d.x.d, static_cast<cudnnConvolutionBwdDataAlgo_t>(algo), &bytes));
            return bytes;
          });
    }
    fbd::detail::Workspace ws(cap, dev), out(size_t(N * g.C * g.H * g.W) * sizeof(float) + 256, dev);
    FBD_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(h, d.w.d, w, d.y.d, dy, d.conv.d, d.x.d,
                                                                aligned_like(out.get(), dx), count, &returned,
                                                                perf.data(), ws.get(), cap));
    return pick_fastest(perf, returned, cap, "backward-data convolution");
  });
  fbd::detail::Workspace ws(c.workspace, dev);
  const float alpha = 1.0f, beta = 0.0f;
  FBD_CUDNN_CHECK(cudnnConvolutionBackwardData(h, &alpha, d.w.d, w, d.y.d, dy, d.conv.d,
                                               static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algo), ws.get(),
                                               c.workspace, &beta, d.x.d, dx));
}

void cudnn_conv_backward_filter(int device, const float* x, const float* dy, float* dw, int64_t N, int64_t K,
                                const kernels::ConvGeom& g) {
  check_dims(N, K, g);
  cudnnHandle_t h = cuda::cudnn(device);
  const Device dev = Device::cuda(device);
  Descs d(N, K, g);
  const bool det = deterministic();
  const Choice c = lookup(conv_algo_key(ConvDir::BackwardFilter, device, det, N, K, g, x, dy, dw), [&] {
    int count = 0, returned = 0;
    FBD_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, &count));
    std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> perf(size_t(std::max(count, 1)));
    const size_t cap = search_cap();
    if (det) {
      FBD_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.x.d, d.y.d, d.conv.d, d.w.d, count, &returned,
                                                                    perf.data()));
      return pick_deterministic(
          perf, returned, kDeterministicBackwardFilter, cap, "backward-filter convolution", [&](int algo) {
            size_t bytes = 0;
            FBD_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(
                h, d.x.d, d.y.d, d.conv.d, d.w.d, static_cast<cudnnConvolutionBwdFilterAlgo_t>(algo), &bytes));
            return bytes;
          });
    }
    fbd::detail::Workspace ws(cap, dev), out(size_t(K * g.rows()) * sizeof(float) + 256, dev);
    FBD_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(h, d.x.d, x, d.y.d, dy, d.conv.d, d.w.d,
                                                                  aligned_like(out.get(), dw), count, &returned,
                                                                  perf.data(), ws.get(), cap));
    return pick_fastest(perf, returned, cap, "backward-filter convolution");
  });
  fbd::detail::Workspace ws(c.workspace, dev);
  const float alpha = 1.0f, beta = 0.0f;
  FBD_CUDNN_CHECK(cudnnConvolutionBackwardFilter(h, &alpha, d.x.d, x, d.y.d, dy, d.conv.d,
                                                 static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algo), ws.get(),
                                                 c.workspace, &beta, d.w.d, dw));
}

}  // namespace fbd::nn::detail

#endif  // FBD_WITH_CUDA
