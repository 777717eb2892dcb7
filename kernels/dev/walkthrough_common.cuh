// What both walkthroughs need besides their kernels: error checks that stop the program, the
// test for a usable GPU (and what to do without one), a tiny deterministic random generator,
// and a timer that flushes L2 before every repetition. Each walkthrough includes it and still
// builds alone with nvcc (docs/kernels/walkthrough.md).
#pragma once
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace fbd::walkthrough {

#define CUDA_CHECK(call)                                                                                           \
  do {                                                                                                             \
    const cudaError_t err_ = (call);                                                                               \
    if (err_ != cudaSuccess) {                                                                                     \
      std::fprintf(stderr, "CUDA error at %s:%d: %s (%s)\n", __FILE__, __LINE__, cudaGetErrorString(err_), #call); \
      std::exit(1);                                                                                                \
    }                                                                                                              \
  } while (0)

// After a launch: a bad launch configuration is reported at once, a fault in the kernel only at
// the next synchronisation (which CUDA_CHECK(cudaDeviceSynchronize()) then catches).
#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())
// fbd's launch functions return what their own runtime calls reported (kernels::LaunchStatus).
#define CUDA_CHECK_STATUS(call) CUDA_CHECK(cudaError_t((call).error))

static __global__ void probe_kernel(int* out) { *out = 42; }

// Whether a GPU is there and runs this binary's code (a tiny kernel catches a GPU whose
// architecture the build has no code for); `why` says what is missing.
inline bool gpu_usable(std::string& why) {
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    why = std::string(cudaGetErrorString(err)) + " (" + cudaGetErrorName(err) + ")";
    return false;
  }
  if (count == 0) {
    why = "no CUDA device found";
    return false;
  }
  int* probe = nullptr;
  err = cudaMalloc(&probe, sizeof(int));
  if (err == cudaSuccess) {
    probe_kernel<<<1, 1>>>(probe);
    err = cudaGetLastError();
    if (err == cudaSuccess) err = cudaDeviceSynchronize();
    cudaFree(probe);
  }
  if (err != cudaSuccess) {
    why = std::string("test kernel failed on cuda:0: ") + cudaGetErrorString(err);
    return false;
  }
  return true;
}

inline const char* name_of(const char* argv0) {
  const char* slash = std::strrchr(argv0, '/');
  return slash ? slash + 1 : argv0;
}

// 0 when a GPU is usable. Otherwise 77 (ctest's "skipped") after one line saying why, or 1
// when FBD_REQUIRE_GPU=1 asks for a GPU to be there (a skip would hide a broken driver).
inline int require_gpu(const char* argv0) {
  std::string why;
  if (gpu_usable(why)) return 0;
  const char* req = std::getenv("FBD_REQUIRE_GPU");
  if (req != nullptr && std::string(req) == "1") {
    std::fprintf(stderr, "%s: error: FBD_REQUIRE_GPU=1 but no usable CUDA GPU: %s\n", name_of(argv0), why.c_str());
    return 1;
  }
  std::printf("SKIPPED: %s needs a usable CUDA GPU: %s\n", name_of(argv0), why.c_str());
  return 77;
}

// The command line both walkthroughs take: [N H W] [--check] [--version K] [--reps R].
struct Args {
  bool check_only = false;    // --check: small shapes and edge cases, correctness only
  int only = 0;               // --version K (1..versions); 0: every version
  int reps = 20;              // --reps R: timed repetitions per version
  std::vector<int64_t> dims;  // N H W, when given
};
// False on anything it does not understand (the caller prints its usage).
inline bool parse_args(int argc, char** argv, int versions, Args& args) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--check") {
      args.check_only = true;
    } else if (a == "--version" && i + 1 < argc) {
      args.only = std::atoi(argv[++i]);
      if (args.only < 1 || args.only > versions) return false;
    } else if (a == "--reps" && i + 1 < argc) {
      args.reps = std::max(1, std::atoi(argv[++i]));
    } else if (!a.empty() && a[0] != '-') {
      args.dims.push_back(std::atoll(a.c_str()));
    } else {
      return false;
    }
  }
  return true;
}

// splitmix64: a tiny, well-mixed generator, so the batch is the same on every machine.
struct Rng {
  uint64_t s;
  double uniform() {
    uint64_t x = (s += 0x9e3779b97f4a7c15ull);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    x ^= x >> 31;
    return double(x >> 11) * (1.0 / 9007199254740992.0);
  }
};

// CUDA events around the work, and before every repetition a memset of twice the L2 size, so
// each run starts with its inputs in DRAM, as it would inside a training step (the same method
// as bench/cuda/gpu_timer.h, which this file does not link so that it builds alone).
class Timer {
 public:
  Timer() {
    int dev = 0, l2 = 0;
    CUDA_CHECK(cudaGetDevice(&dev));
    CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, dev));
    flush_bytes_ = size_t(std::max(l2, 1 << 20)) * 2;
    CUDA_CHECK(cudaMalloc(&flush_, flush_bytes_));
    CUDA_CHECK(cudaEventCreate(&start_));
    CUDA_CHECK(cudaEventCreate(&stop_));
  }
  ~Timer() {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
    cudaFree(flush_);
  }
  // Median milliseconds of `reps` runs of `work` (after one warm-up run).
  double median_ms(const std::function<void()>& work, int reps) {
    work();
    CUDA_CHECK(cudaDeviceSynchronize());
    std::vector<double> ms;
    for (int r = 0; r < reps; ++r) {
      CUDA_CHECK(cudaMemsetAsync(flush_, r & 0xff, flush_bytes_));
      CUDA_CHECK(cudaEventRecord(start_));
      work();
      CUDA_CHECK(cudaEventRecord(stop_));
      CUDA_CHECK(cudaEventSynchronize(stop_));
      float t = 0.0f;
      CUDA_CHECK(cudaEventElapsedTime(&t, start_, stop_));
      ms.push_back(double(t));
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
  }

 private:
  cudaEvent_t start_{}, stop_{};
  void* flush_ = nullptr;
  size_t flush_bytes_ = 0;
};

// The memory bound: bytes per second a device-to-device copy achieves (read + write counted).
inline double copy_bandwidth(Timer& timer) {
  const size_t bytes = size_t(256) << 20;
  void *a = nullptr, *b = nullptr;
  CUDA_CHECK(cudaMalloc(&a, bytes));
  CUDA_CHECK(cudaMalloc(&b, bytes));
  CUDA_CHECK(cudaMemset(a, 1, bytes));
  const double ms = timer.median_ms([&] { CUDA_CHECK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice)); }, 10);
  CUDA_CHECK(cudaFree(a));
  CUDA_CHECK(cudaFree(b));
  return 2.0 * double(bytes) / (ms * 1e-3);
}

}  // namespace fbd::walkthrough
