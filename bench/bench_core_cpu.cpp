// CPU cases: the kernels' OpenMP twins on preallocated buffers (no allocation in the loop,
// matching the out= calls of bench/compare_torch_core.py).
#include <algorithm>
#include <cstring>
#include <vector>

#include "bench/bench_common.h"
#include "kernels/elementwise_kernels.h"
#include "kernels/philox_kernels.h"
#include "kernels/reduce_kernels.h"

namespace fbd::bench {
namespace {

std::vector<float> filled(int64_t n, float v) { return std::vector<float>(size_t(n), v); }

// The yardstick: a parallel memcpy of the same bytes a unary op reads and writes.
void BM_cpu_copy(benchmark::State& state) {
  const int64_t n = state.range(0);
  auto x = filled(n, 0.5f), y = filled(n, 0.0f);
  run_cpu(state, 8.0 * double(n), [&] {
    const int64_t chunks = 64, chunk = (n + chunks - 1) / chunks;
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < chunks; ++c) {
      const int64_t begin = c * chunk, len = std::min(chunk, n - begin);
      if (len > 0) std::memcpy(y.data() + begin, x.data() + begin, size_t(len) * sizeof(float));
    }
    benchmark::DoNotOptimize(y.data());
  });
}

void BM_cpu_unary(benchmark::State& state, kernels::UnaryOp op) {
  const int64_t n = state.range(0);
  auto x = filled(n, 0.5f), y = filled(n, 0.0f);
  run_cpu(state, 8.0 * double(n), [&] {
    kernels::unary_forward_cpu(op, x.data(), y.data(), n, {});
    benchmark::DoNotOptimize(y.data());
  });
}

void BM_cpu_sigmoid_backward(benchmark::State& state) {
  const int64_t n = state.range(0);
  auto x = filled(n, 0.5f), y = filled(n, 0.6f), gy = filled(n, 1.0f), gx = filled(n, 0.0f);
  run_cpu(state, 16.0 * double(n), [&] {
    kernels::unary_backward_cpu(kernels::UnaryOp::Sigmoid, x.data(), y.data(), gy.data(), gx.data(), n, {});
    benchmark::DoNotOptimize(gx.data());
  });
}

void BM_cpu_add(benchmark::State& state) {
  const int64_t n = state.range(0);
  auto a = filled(n, 1.0f), b = filled(n, 2.0f), c = filled(n, 0.0f);
  run_cpu(state, 12.0 * double(n), [&] {
    kernels::binary_cpu(kernels::BinaryOp::Add, a.data(), b.data(), c.data(), n);
    benchmark::DoNotOptimize(c.data());
  });
}

// [16, 32, H*W] * [1, 32, 1]: the per-channel scale of batch norm.
void BM_cpu_mul_per_channel(benchmark::State& state) {
  const int64_t n = state.range(0), C = 32, HW = n / (16 * C);
  auto a = filled(n, 1.0f), b = filled(C, 2.0f), c = filled(n, 0.0f);
  kernels::StridedDims d;
  d.ndim = 3;
  d.shape[0] = 16, d.shape[1] = C, d.shape[2] = HW;
  d.stride_a[0] = C * HW, d.stride_a[1] = HW, d.stride_a[2] = 1;
  d.stride_b[0] = 0, d.stride_b[1] = 1, d.stride_b[2] = 0;
  run_cpu(state, 8.0 * double(n), [&] {
    kernels::binary_broadcast_cpu(kernels::BinaryOp::Mul, a.data(), b.data(), c.data(), d);
    benchmark::DoNotOptimize(c.data());
  });
}

void BM_cpu_sum_all(benchmark::State& state) {
  const int64_t n = state.range(0);
  auto x = filled(n, 1.0f);
  float out = 0;
  run_cpu(state, 4.0 * double(n), [&] {
    kernels::reduce_sum_cpu(x.data(), &out, 1, n, 1, 1.0f);
    benchmark::DoNotOptimize(out);
  });
}

// Per-image sums of a [16, 1, 256, 256] loss map: the shape of every Dice/IoU sum.
void BM_cpu_sum_per_image(benchmark::State& state) {
  const int64_t n = state.range(0);
  auto x = filled(n, 1.0f), out = filled(16, 0.0f);
  run_cpu(state, 4.0 * double(n), [&] {
    kernels::reduce_sum_cpu(x.data(), out.data(), 16, n / 16, 1, 1.0f);
    benchmark::DoNotOptimize(out.data());
  });
}

// Per-channel sums of [16, 32, H*W] over N and H*W: batch-norm statistics.
void BM_cpu_sum_per_channel(benchmark::State& state) {
  const int64_t n = state.range(0), C = 32, HW = n / (16 * C);
  auto x = filled(n, 1.0f), mid = filled(16 * C, 0.0f), out = filled(C, 0.0f);
  run_cpu(state, 4.0 * double(n), [&] {
    kernels::reduce_sum_cpu(x.data(), mid.data(), 16 * C, HW, 1, 1.0f);
    kernels::reduce_sum_cpu(mid.data(), out.data(), 1, 16, C, 1.0f);
    benchmark::DoNotOptimize(out.data());
  });
}

void BM_cpu_uniform(benchmark::State& state) {
  const int64_t n = state.range(0);
  auto x = filled(n, 0.0f);
  uint64_t offset = 0;
  run_cpu(state, 4.0 * double(n), [&] {
    kernels::philox_uniform_cpu(x.data(), n, 1, offset, 0.0f, 1.0f);
    offset += uint64_t(kernels::philox_blocks(n));
    benchmark::DoNotOptimize(x.data());
  });
}

void BM_cpu_normal(benchmark::State& state) {
  const int64_t n = state.range(0);
  auto x = filled(n, 0.0f);
  run_cpu(state, 4.0 * double(n), [&] {
    kernels::philox_normal_cpu(x.data(), n, 1, 0, 0.0f, 1.0f);
    benchmark::DoNotOptimize(x.data());
  });
}

void register_core_cpu() {
  for (int64_t n : {kLossMap, kFeatureCpu}) {
    benchmark::RegisterBenchmark("cpu/copy", BM_cpu_copy)->Arg(n);
    benchmark::RegisterBenchmark("cpu/sigmoid", BM_cpu_unary, kernels::UnaryOp::Sigmoid)->Arg(n);
    benchmark::RegisterBenchmark("cpu/exp", BM_cpu_unary, kernels::UnaryOp::Exp)->Arg(n);
    benchmark::RegisterBenchmark("cpu/relu", BM_cpu_unary, kernels::UnaryOp::Relu)->Arg(n);
    benchmark::RegisterBenchmark("cpu/sigmoid_backward", BM_cpu_sigmoid_backward)->Arg(n);
    benchmark::RegisterBenchmark("cpu/add", BM_cpu_add)->Arg(n);
    benchmark::RegisterBenchmark("cpu/mul_per_channel", BM_cpu_mul_per_channel)->Arg(n);
    benchmark::RegisterBenchmark("cpu/sum_all", BM_cpu_sum_all)->Arg(n);
    benchmark::RegisterBenchmark("cpu/sum_per_channel", BM_cpu_sum_per_channel)->Arg(n);
    benchmark::RegisterBenchmark("cpu/uniform", BM_cpu_uniform)->Arg(n);
    benchmark::RegisterBenchmark("cpu/normal", BM_cpu_normal)->Arg(n);
  }
  benchmark::RegisterBenchmark("cpu/sum_per_image", BM_cpu_sum_per_image)->Arg(kLossMap);
}

const BenchRegistrar registrar(false, register_core_cpu);
}  // namespace

}  // namespace fbd::bench
