// CUDA cases of the loss ops (bench/loss_cases.h): forward and backward through autograd on
// the device, timed with CUDA events and a flushed L2 (gpu_timer.h). The input checks are off
// while timing (their read-back would add a stream synchronisation per call: losses/losses.h).
//
// Two kernel-level cases isolate what fusion buys for the Focal Boundary Dice compound, on
// preallocated buffers with no autograd or allocation in the way:
//   cuda/fbd_fused_kernels  the fused forward and backward launches (2 kernels, 28 B/pixel)
//   cuda/fbd_naive_kernels  the single-term launches of Dice, focal and boundary, forward and
//                           backward, and two gradient additions (8 kernels, 84 B/pixel)
// Both are charged 28 B/pixel, so their GB/s and frac_of_copy compare directly.
#include <functional>

#include "bench/bench_common.h"
#include "bench/cuda/gpu_timer.h"
#include "bench/loss_cases.h"
#include "core/cuda_context.h"
#include "kernels/binary_loss_kernels.h"
#include "kernels/elementwise_kernels.h"

namespace fbd::bench {
namespace {

const LossBenchData& cuda_inputs() {
  static const LossBenchData in = make_loss_inputs(Device::cuda());
  return in;
}

void timed(benchmark::State& state, double bytes, const std::function<void()>& launch) {
  GpuTimer timer;
  launch();  // warm-up (and the caching allocator's first allocations)
  cuda::synchronize();
  double seconds = 0;
  for (auto _ : state) {
    const double t = timer.seconds(launch);
    state.SetIterationTime(t);
    seconds += t;
  }
  report_bytes(state, bytes, measured_bandwidth().device_copy, seconds);
}

void BM_cuda_loss(benchmark::State& state, const LossCase& c) {
  const LossBenchData& in = cuda_inputs();
  Tensor x = loss_leaf(in, c.leaf);
  const bool checks = loss_input_checks();
  set_loss_input_checks(false);
  timed(state, c.bytes, [&] {
    x.zero_grad();
    c.loss(in, x).backward();
  });
  set_loss_input_checks(checks);
}

struct KernelBuffers {
  Tensor sums[3], value[3], dz[3], ws, go[3], one;
  explicit KernelBuffers(int64_t N, int64_t HW) {
    const Device d = Device::cuda();
    for (int i = 0; i < 3; ++i) {
      sums[i] = Tensor::empty({(N + 1) * kernels::kBinaryStats}, DType::F32, d);
      value[i] = Tensor::empty({1}, DType::F32, d);
      dz[i] = Tensor::empty({N * HW}, DType::F32, d);
    }
    go[0] = Tensor::full({1}, 0.5f, d);  // the compound's weights as upstream gradients
    go[1] = Tensor::full({1}, 0.3f, d);
    go[2] = Tensor::full({1}, 0.2f, d);
    one = Tensor::full({1}, 1.0f, d);
    ws = Tensor::empty({int64_t(kernels::binary_loss_workspace_bytes(N, HW) / 4 + 1)}, DType::F32, d);
  }
};

void BM_cuda_fbd_kernels(benchmark::State& state, bool fused) {
  const LossBenchData& in = cuda_inputs();
  const int64_t N = kLossN, HW = kLossH * kLossW;
  KernelBuffers b(N, HW);
  const float *z = in.z.data<float>(), *g = in.g.data<float>(), *phi = in.phi.data<float>();
  const kernels::Stream s = cuda::stream();
  auto f = [](Tensor& t) { return t.data<float>(); };
  timed(state, 28.0 * double(N * HW), [&] {
    if (fused) {
      kernels::BinaryLossParams p;  // Eq. 2 with the paper's weights
      cuda::check_launch("binary_loss_forward", kernels::binary_loss_forward_cuda(z, g, phi, N, HW, p, f(b.sums[0]),
                                                                                  f(b.value[0]), b.ws.raw_data(), s));
      kernels::binary_loss_backward_cuda(z, g, phi, N, HW, p, f(b.sums[0]), f(b.one), f(b.dz[0]), s);
      return;
    }
    const uint32_t terms[3] = {kernels::kBinaryDice, kernels::kBinaryFocal, kernels::kBinaryBoundary};
    for (int i = 0; i < 3; ++i) {
      kernels::BinaryLossParams p;
      p.terms = terms[i];
      p.w_dice = p.w_focal = p.w_bd = 1.0f;
      cuda::check_launch("binary_loss_forward",
                         kernels::binary_loss_forward_cuda(z, i < 2 ? g : nullptr, i == 2 ? phi : nullptr, N, HW, p,
                                                           f(b.sums[i]), f(b.value[i]), b.ws.raw_data(), s));
    }
    for (int i = 0; i < 3; ++i) {
      kernels::BinaryLossParams p;
      p.terms = terms[i];
      p.w_dice = p.w_focal = p.w_bd = 1.0f;
      kernels::binary_loss_backward_cuda(z, i < 2 ? g : nullptr, i == 2 ? phi : nullptr, N, HW, p, f(b.sums[i]),
                                         f(b.go[i]), f(b.dz[i]), s);
    }
    kernels::binary_cuda(kernels::BinaryOp::Add, f(b.dz[0]), f(b.dz[1]), f(b.dz[0]), N * HW, s);
    kernels::binary_cuda(kernels::BinaryOp::Add, f(b.dz[0]), f(b.dz[2]), f(b.dz[0]), N * HW, s);
  });
}

void register_losses_cuda() {
  for (const LossCase& c : loss_cases())
    benchmark::RegisterBenchmark(("cuda/" + c.name).c_str(), BM_cuda_loss, c)
        ->Arg(kLossN * kLossH * kLossW)
        ->UseManualTime()
        ->MinTime(0.2);
  for (const bool fused : {true, false})
    benchmark::RegisterBenchmark(fused ? "cuda/fbd_fused_kernels" : "cuda/fbd_naive_kernels", BM_cuda_fbd_kernels,
                                 fused)
        ->Arg(kLossN * kLossH * kLossW)
        ->UseManualTime()
        ->MinTime(0.2);
}

const BenchRegistrar registrar(true, register_losses_cuda);
}  // namespace
}  // namespace fbd::bench
