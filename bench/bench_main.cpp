// fbd_bench: every benchmark of the project (Google Benchmark), CPU cases everywhere and CUDA
// cases where a GPU is usable, each reporting GB/s (or FLOP/s) and the fraction of the copy
// bandwidth measured in the same run. See bench/README.md.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "bench/bench_common.h"
#include "core/allocator.h"
#include "core/device.h"

namespace fbd::bench {

namespace {
std::vector<std::pair<bool, void (*)()>>& registry() {
  static std::vector<std::pair<bool, void (*)()>> r;
  return r;
}
}  // namespace

BenchRegistrar::BenchRegistrar(bool needs_gpu, void (*register_fn)()) {
  registry().emplace_back(needs_gpu, register_fn);
}

void register_all_benchmarks(bool gpu_usable) {
  for (const auto& [needs_gpu, fn] : registry())
    if (gpu_usable || !needs_gpu) fn();
}

Bandwidth& measured_bandwidth() {
  static Bandwidth bw;
  return bw;
}

void report_bytes(benchmark::State& state, double bytes_per_iter, double copy_bandwidth, double seconds) {
  const double total = bytes_per_iter * double(state.iterations());
  state.SetBytesProcessed(int64_t(total));
  if (copy_bandwidth > 0 && seconds > 0) state.counters["frac_of_copy"] = total / seconds / copy_bandwidth;
}

void run_cpu(benchmark::State& state, double bytes_per_iter, const std::function<void()>& fn) {
  fn();  // warm-up: first touch of the pages, OpenMP team start
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  report_bytes(state, bytes_per_iter, measured_bandwidth().host_copy, seconds);
}

namespace {
// A copy of one feature-map batch (kFeatureCpu floats, 32 MiB), split over the OpenMP threads
// like the kernels it is the yardstick for. (On a machine whose last-level cache holds the
// buffers, this is a cache bandwidth, and so are the kernels' figures.)
double host_copy_bandwidth() {
  const size_t bytes = size_t(kFeatureCpu) * sizeof(float);
  std::vector<char> a(bytes, 1), b(bytes, 0);
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    const int64_t chunks = 64, chunk = int64_t(bytes) / chunks;
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < chunks; ++c) std::memcpy(b.data() + c * chunk, a.data() + c * chunk, size_t(chunk));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, s);
  }
  benchmark::DoNotOptimize(b.data());
  return 2.0 * double(bytes) / best;
}
}  // namespace

double device_copy_bandwidth();  // gpu_timer.cpp (CUDA builds)

}  // namespace fbd::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  using namespace fbd::bench;
  Bandwidth& bw = measured_bandwidth();
  bw.host_copy = host_copy_bandwidth();
  benchmark::AddCustomContext("host_copy_GBps", std::to_string(bw.host_copy / 1e9));
  std::string why;
  const bool gpu = fbd::cuda_usable(&why);
#if FBD_WITH_CUDA
  if (gpu) {
    bw.device_copy = device_copy_bandwidth();
    benchmark::AddCustomContext("device_copy_GBps", std::to_string(bw.device_copy / 1e9));
  }
#endif
  std::fprintf(stderr, "fbd_bench: host copy %.1f GB/s; %s\n", bw.host_copy / 1e9,
               gpu ? ("device copy " + std::to_string(bw.device_copy / 1e9) + " GB/s").c_str()
                   : ("CUDA cases skipped: " + why).c_str());
  register_all_benchmarks(gpu);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
