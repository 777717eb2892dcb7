// Shared by the benchmark files: problem sizes, registration entry points, and the copy
// bandwidths every GB/s figure is read against.
#pragma once
#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace fbd::bench {

// The shapes the paper's network and losses see: one loss map batch (16 x 1 x 256 x 256)
// and one feature-map batch (16 x 32 x 128 x 128 on the CPU; 16 x 32 x 256 x 256 on the GPU).
inline constexpr int64_t kLossMap = 16LL * 256 * 256;
inline constexpr int64_t kFeatureCpu = 16LL * 32 * 128 * 128;
inline constexpr int64_t kFeatureGpu = 16LL * 32 * 256 * 256;

// Measured at start-up: bytes moved per second (read + write) by a plain copy.
struct Bandwidth {
  double host_copy = 0;    // memcpy of 32 MiB on the host, split over the OpenMP threads
  double device_copy = 0;  // cudaMemcpyAsync device to device, 256 MiB (0 without a GPU)
};
Bandwidth& measured_bandwidth();

// Each bench file registers its cases with a static BenchRegistrar: CPU files with
// needs_gpu = false; files under bench/cuda/ (compiled in CUDA builds only) with true, and
// they are called only where a GPU is usable.
struct BenchRegistrar {
  BenchRegistrar(bool needs_gpu, void (*register_fn)());
};
void register_all_benchmarks(bool gpu_usable);

// Adds bytes/second and `frac_of_copy` (achieved bytes/s over the matching copy bandwidth) to
// a finished case that took `seconds` over all its iterations.
void report_bytes(benchmark::State& state, double bytes_per_iter, double copy_bandwidth, double seconds);

// Times `fn` per iteration with a steady clock (after one warm-up call) and reports bytes.
void run_cpu(benchmark::State& state, double bytes_per_iter, const std::function<void()>& fn);

}  // namespace fbd::bench
