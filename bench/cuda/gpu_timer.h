// Timing CUDA work the way llm.c's dev/cuda benchmarks do: CUDA events around the launch on
// fbd's stream, with the L2 cache flushed (a 2x-L2-sized memset) before every repetition so
// each run starts from DRAM, as it would inside a training step.
#pragma once
#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <functional>

#include "kernels/common.h"

namespace fbd::bench {

class GpuTimer {
 public:
  GpuTimer();
  ~GpuTimer();
  GpuTimer(const GpuTimer&) = delete;
  GpuTimer& operator=(const GpuTimer&) = delete;
  // Seconds taken by `launch` (which enqueues work on fbd's stream), L2 flushed first.
  double seconds(const std::function<void()>& launch);

 private:
  cudaEvent_t start_{}, stop_{};
  void* flush_ = nullptr;
  size_t flush_bytes_ = 0;
};

double device_copy_bandwidth();

// Times `launch` (work enqueued on fbd's stream) once per iteration after one warm-up, under a
// GpuTimer, and reports `bytes` per iteration against the device copy bandwidth.
void run_timed(benchmark::State& state, double bytes, const std::function<void(kernels::Stream)>& launch);

}  // namespace fbd::bench
