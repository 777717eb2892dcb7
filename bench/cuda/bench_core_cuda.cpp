// CUDA cases: the same kernels as bench_core_cpu.cpp on device buffers, timed with events and
// a flushed L2 (gpu_timer.h); GB/s is read against the device-to-device copy bandwidth.
#include <functional>

#include "bench/bench_common.h"
#include "bench/cuda/gpu_timer.h"
#include "core/cuda_context.h"
#include "core/tensor.h"
#include "kernels/elementwise_kernels.h"
#include "kernels/philox_kernels.h"
#include "kernels/reduce_kernels.h"

namespace fbd::bench {
namespace {

Tensor dev(int64_t n, float v) { return Tensor::full({n}, v, Device::cuda()); }

// Runs `launch` once per iteration under the GPU timer and reports `bytes` per iteration.

void BM_cuda_unary(benchmark::State& state, kernels::UnaryOp op) {
  const int64_t n = state.range(0);
  Tensor x = dev(n, 0.5f), y = dev(n, 0.0f);
  run_timed(state, 8.0 * double(n),
            [&](kernels::Stream s) { kernels::unary_forward_cuda(op, x.data<float>(), y.data<float>(), n, {}, s); });
}

void BM_cuda_sigmoid_backward(benchmark::State& state) {
  const int64_t n = state.range(0);
  Tensor x = dev(n, 0.5f), y = dev(n, 0.6f), gy = dev(n, 1.0f), gx = dev(n, 0.0f);
  run_timed(state, 16.0 * double(n), [&](kernels::Stream s) {
    kernels::unary_backward_cuda(kernels::UnaryOp::Sigmoid, x.data<float>(), y.data<float>(), gy.data<float>(),
                                 gx.data<float>(), n, {}, s);
  });
}

void BM_cuda_add(benchmark::State& state) {
  const int64_t n = state.range(0);
  Tensor a = dev(n, 1.0f), b = dev(n, 2.0f), c = dev(n, 0.0f);
  run_timed(state, 12.0 * double(n), [&](kernels::Stream s) {
    kernels::binary_cuda(kernels::BinaryOp::Add, a.data<float>(), b.data<float>(), c.data<float>(), n, s);
  });
}

void BM_cuda_mul_per_channel(benchmark::State& state) {
  const int64_t n = state.range(0), C = 32, HW = n / (16 * C);
  Tensor a = dev(n, 1.0f), b = dev(C, 2.0f), c = dev(n, 0.0f);
  kernels::StridedDims d;
  d.ndim = 3;
  d.shape[0] = 16, d.shape[1] = C, d.shape[2] = HW;
  d.stride_a[0] = C * HW, d.stride_a[1] = HW, d.stride_a[2] = 1;
  d.stride_b[0] = 0, d.stride_b[1] = 1, d.stride_b[2] = 0;
  run_timed(state, 8.0 * double(n), [&](kernels::Stream s) {
    kernels::binary_broadcast_cuda(kernels::BinaryOp::Mul, a.data<float>(), b.data<float>(), c.data<float>(), d, s);
  });
}

void BM_cuda_sum(benchmark::State& state, int64_t outer, int64_t inner) {
  const int64_t n = state.range(0), R = n / (outer * inner);
  Tensor x = dev(n, 1.0f), out = dev(outer * inner, 0.0f);
  Tensor ws = dev(int64_t(kernels::reduce_sum_workspace_bytes(outer, R, inner) / 4) + 1, 0.0f);
  run_timed(state, 4.0 * double(n), [&](kernels::Stream s) {
    cuda::check_launch("reduce_sum", kernels::reduce_sum_cuda(x.data<float>(), out.data<float>(), outer, R, inner, 1.0f,
                                                              ws.data<float>(), s));
  });
}

void BM_cuda_sum_per_channel(benchmark::State& state) {
  const int64_t n = state.range(0), C = 32, HW = n / (16 * C);
  Tensor x = dev(n, 1.0f), mid = dev(16 * C, 0.0f), out = dev(C, 0.0f);
  Tensor ws1 = dev(int64_t(kernels::reduce_sum_workspace_bytes(16 * C, HW, 1) / 4) + 1, 0.0f);
  Tensor ws2 = dev(int64_t(kernels::reduce_sum_workspace_bytes(1, 16, C) / 4) + 1, 0.0f);
  run_timed(state, 4.0 * double(n), [&](kernels::Stream s) {
    cuda::check_launch("reduce_sum", kernels::reduce_sum_cuda(x.data<float>(), mid.data<float>(), 16 * C, HW, 1, 1.0f,
                                                              ws1.data<float>(), s));
    cuda::check_launch("reduce_sum", kernels::reduce_sum_cuda(mid.data<float>(), out.data<float>(), 1, 16, C, 1.0f,
                                                              ws2.data<float>(), s));
  });
}

void BM_cuda_uniform(benchmark::State& state) {
  const int64_t n = state.range(0);
  Tensor x = dev(n, 0.0f);
  run_timed(state, 4.0 * double(n),
            [&](kernels::Stream s) { kernels::philox_uniform_cuda(x.data<float>(), n, 1, 0, 0.0f, 1.0f, s); });
}

void BM_cuda_normal(benchmark::State& state) {
  const int64_t n = state.range(0);
  Tensor x = dev(n, 0.0f);
  run_timed(state, 4.0 * double(n),
            [&](kernels::Stream s) { kernels::philox_normal_cuda(x.data<float>(), n, 1, 0, 0.0f, 1.0f, s); });
}

void register_core_cuda() {
  for (int64_t n : {kLossMap, kFeatureGpu}) {
    auto reg = [n](benchmark::internal::Benchmark* b) { b->Arg(n)->UseManualTime()->MinTime(0.2); };
    reg(benchmark::RegisterBenchmark("cuda/sigmoid", BM_cuda_unary, kernels::UnaryOp::Sigmoid));
    reg(benchmark::RegisterBenchmark("cuda/exp", BM_cuda_unary, kernels::UnaryOp::Exp));
    reg(benchmark::RegisterBenchmark("cuda/relu", BM_cuda_unary, kernels::UnaryOp::Relu));
    reg(benchmark::RegisterBenchmark("cuda/sigmoid_backward", BM_cuda_sigmoid_backward));
    reg(benchmark::RegisterBenchmark("cuda/add", BM_cuda_add));
    reg(benchmark::RegisterBenchmark("cuda/mul_per_channel", BM_cuda_mul_per_channel));
    reg(benchmark::RegisterBenchmark("cuda/sum_all", BM_cuda_sum, int64_t(1), int64_t(1)));
    reg(benchmark::RegisterBenchmark("cuda/sum_per_channel", BM_cuda_sum_per_channel));
    reg(benchmark::RegisterBenchmark("cuda/uniform", BM_cuda_uniform));
    reg(benchmark::RegisterBenchmark("cuda/normal", BM_cuda_normal));
  }
  benchmark::RegisterBenchmark("cuda/sum_per_image", BM_cuda_sum, int64_t(16), int64_t(1))
      ->Arg(kLossMap)
      ->UseManualTime()
      ->MinTime(0.2);
}

const BenchRegistrar registrar(true, register_core_cuda);
}  // namespace

}  // namespace fbd::bench
