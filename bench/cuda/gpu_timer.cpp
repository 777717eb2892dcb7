#include "bench/cuda/gpu_timer.h"

#include <algorithm>

#include "bench/bench_common.h"
#include "core/cuda_check.h"
#include "core/cuda_context.h"

namespace fbd::bench {

GpuTimer::GpuTimer() {
  int dev = 0, l2 = 0;
  FBD_CUDA_CHECK(cudaGetDevice(&dev));
  FBD_CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, dev));
  flush_bytes_ = size_t(std::max(l2, 1 << 20)) * 2;
  FBD_CUDA_CHECK(cudaMalloc(&flush_, flush_bytes_));
  FBD_CUDA_CHECK(cudaEventCreate(&start_));
  FBD_CUDA_CHECK(cudaEventCreate(&stop_));
}

GpuTimer::~GpuTimer() {
  FBD_CUDA_WARN(cudaEventDestroy(start_));
  FBD_CUDA_WARN(cudaEventDestroy(stop_));
  FBD_CUDA_WARN(cudaFree(flush_));
}

double GpuTimer::seconds(const std::function<void()>& launch) {
  cudaStream_t s = cuda::stream();
  FBD_CUDA_CHECK(cudaMemsetAsync(flush_, 0, flush_bytes_, s));
  FBD_CUDA_CHECK(cudaEventRecord(start_, s));
  launch();
  FBD_CUDA_CHECK(cudaEventRecord(stop_, s));
  FBD_CUDA_CHECK(cudaEventSynchronize(stop_));
  cuda::check_launch("benchmark");
  float ms = 0;
  FBD_CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
  return double(ms) * 1e-3;
}

// Bytes moved (read + write) per second by cudaMemcpyAsync of 256 MiB, best of 10.
double device_copy_bandwidth() {
  const size_t bytes = size_t(256) << 20;
  void *a = nullptr, *b = nullptr;
  FBD_CUDA_CHECK(cudaMalloc(&a, bytes));
  FBD_CUDA_CHECK(cudaMalloc(&b, bytes));
  FBD_CUDA_CHECK(cudaMemset(a, 1, bytes));
  double best = 1e30;
  {
    GpuTimer timer;
    for (int rep = 0; rep < 10; ++rep) {
      best = std::min(best, timer.seconds([&] {
        FBD_CUDA_CHECK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, cuda::stream()));
      }));
    }
  }
  FBD_CUDA_CHECK(cudaFree(a));
  FBD_CUDA_CHECK(cudaFree(b));
  return 2.0 * double(bytes) / best;
}

void run_timed(benchmark::State& state, double bytes, const std::function<void(kernels::Stream)>& launch) {
  GpuTimer timer;
  const kernels::Stream s = cuda::stream();
  launch(s);  // warm-up
  cuda::synchronize();
  double seconds = 0;
  for (auto _ : state) {
    const double t = timer.seconds([&] { launch(s); });
    state.SetIterationTime(t);
    seconds += t;
  }
  report_bytes(state, bytes, measured_bandwidth().device_copy, seconds);
}

}  // namespace fbd::bench
