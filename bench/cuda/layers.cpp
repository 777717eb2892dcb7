// CUDA cases of the layers at the paper network's sizes: Conv2d forward and backward (input +
// weight gradients, cuDNN with the cached algorithm) for batch 16 at 256x256 with 32 channels
// down to 16x16 with 512, every other layer forward + backward, and one full
// training step of the paper-like network (layers_net.h) at batch 16, 256x256, width 32. The
// comparison networks' and classifiers' pieces at GPU sizes: Conv2d at their geometries,
// pix2pix's 4x4 / 2 transposed conv, PReLU, tanh, instance norm, ceil_mode max pooling, global
// average pooling and the classification cross-entropy.
// Timed with CUDA events after an L2 flush (gpu_timer.h); conv cases report FLOP/s.
#include <benchmark/benchmark.h>

#include <functional>

#include "bench/bench_common.h"
#include "bench/cuda/gpu_timer.h"
#include "bench/layers_net.h"
#include "core/autograd.h"
#include "core/cuda_context.h"
#include "core/rng.h"
#include "layers/activation.h"
#include "layers/conv_cudnn.h"
#include "layers/conv_transpose.h"
#include "layers/instance_norm.h"
#include "layers/pool.h"
#include "losses/losses.h"
#include "optim/adam.h"

namespace fbd::bench {
namespace {

void run(benchmark::State& state, const std::function<void()>& launch) {
  GpuTimer timer;
  launch();  // warm-up: the algorithm search happens here
  launch();
  cuda::synchronize();
  for (auto _ : state) state.SetIterationTime(timer.seconds(launch));
}

void report_flops(benchmark::State& state, double flops) {
  state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

kernels::ConvGeom geom3x3(int64_t C, int64_t H) {
  kernels::ConvGeom g;
  g.C = C, g.H = g.W = g.Ho = g.Wo = H, g.kh = g.kw = 3, g.ph = g.pw = 1;
  return g;
}

// Args: N, C, K, H (3x3, stride 1, padding 1).
void BM_cuda_conv2d_forward(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1), K = state.range(2), H = state.range(3);
  const Device d = Device::cuda();
  const Tensor x = randn({N, C, H, H}, d), w = randn({K, C, 3, 3}, d);
  Tensor y = Tensor::empty({N, K, H, H}, DType::F32, d);
  const auto g = geom3x3(C, H);
  run(state, [&] { nn::detail::cudnn_conv_forward(0, x.data<float>(), w.data<float>(), y.data<float>(), N, K, g, 0); });
  report_flops(state, 2.0 * double(N * K * C * 9 * H * H));
}

void BM_cuda_conv2d_backward(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1), K = state.range(2), H = state.range(3);
  const Device d = Device::cuda();
  const Tensor x = randn({N, C, H, H}, d), w = randn({K, C, 3, 3}, d), gy = randn({N, K, H, H}, d);
  Tensor dx = Tensor::empty(x.shape(), DType::F32, d), dw = Tensor::empty(w.shape(), DType::F32, d);
  const auto g = geom3x3(C, H);
  run(state, [&] {
    nn::detail::cudnn_conv_backward_data(0, w.data<float>(), gy.data<float>(), dx.data<float>(), N, K, g);
    nn::detail::cudnn_conv_backward_filter(0, x.data<float>(), gy.data<float>(), dw.data<float>(), N, K, g);
  });
  report_flops(state, 4.0 * double(N * K * C * 9 * H * H));
}

void BM_cuda_batchnorm(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1), H = state.range(2);
  const Device d = Device::cuda();
  Tensor x = randn({N, C, H, H}, d), gamma = Tensor::ones({C}, d), beta = Tensor::zeros({C}, DType::F32, d);
  x.requires_grad_(), gamma.requires_grad_(), beta.requires_grad_();
  const Tensor gy = randn(x.shape(), d);
  run(state, [&] { nn::batch_norm2d(x, gamma, beta, Tensor(), Tensor(), true).backward(gy); });
}

void BM_cuda_maxpool(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1), H = state.range(2);
  const Device d = Device::cuda();
  Tensor x = randn({N, C, H, H}, d);
  x.requires_grad_();
  const Tensor gy = randn({N, C, H / 2, H / 2}, d);
  run(state, [&] { nn::max_pool2d(x, nn::PoolParams::square(2)).backward(gy); });
}

void BM_cuda_upsample(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1), H = state.range(2);
  const Device d = Device::cuda();
  Tensor x = randn({N, C, H / 2, H / 2}, d);
  x.requires_grad_();
  const Tensor gy = randn({N, C, H, H}, d);
  run(state, [&] { nn::upsample_bilinear(x, nn::UpsampleOptions::size(H, H)).backward(gy); });
}

void BM_cuda_avgpool(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1), H = state.range(2), k = state.range(3);
  const Device d = Device::cuda();
  Tensor x = randn({N, C, H, H}, d);
  x.requires_grad_();
  const auto p = k == 31 ? nn::PoolParams::square(31, 1, 15) : nn::PoolParams::square(k);
  const Tensor gy = randn(nn::avg_pool2d(x.detach(), p).shape(), d);
  run(state, [&] { nn::avg_pool2d(x, p).backward(gy); });
}

void BM_cuda_conv_transpose2d(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1), H = state.range(2);
  const Device d = Device::cuda();
  Tensor x = randn({N, C, H, H}, d), w = randn({C, C / 2, 2, 2}, d), b = randn({C / 2}, d);
  x.requires_grad_(), w.requires_grad_(), b.requires_grad_();
  nn::ConvParams p;
  p.sh = p.sw = 2;
  const Tensor gy = randn({N, C / 2, 2 * H, 2 * H}, d);
  run(state, [&] { nn::conv_transpose2d(x, w, b, p).backward(gy); });
  report_flops(state, 3 * 2.0 * double(N * C * (C / 2) * 4 * H * H));
}

void BM_cuda_leaky_relu(benchmark::State& state) {
  Tensor x = randn({state.range(0)}, Device::cuda());
  x.requires_grad_();
  const Tensor gy = randn(x.shape(), Device::cuda());
  run(state, [&] { nn::leaky_relu(x, 0.01f).backward(gy); });
}

void BM_cuda_dropout(benchmark::State& state) {
  Tensor x = randn({state.range(0)}, Device::cuda());
  x.requires_grad_();
  const Tensor gy = randn(x.shape(), Device::cuda());
  Generator gen(2);
  run(state, [&] { nn::dropout(x, 0.5f, true, gen).backward(gy); });
}

void BM_cuda_linear(benchmark::State& state) {
  const int64_t M = state.range(0), in = state.range(1), out = state.range(2);
  const Device d = Device::cuda();
  Tensor x = randn({M, in}, d), w = randn({out, in}, d), b = randn({out}, d);
  x.requires_grad_(), w.requires_grad_(), b.requires_grad_();
  const Tensor gy = randn({M, out}, d);
  run(state, [&] { nn::linear(x, w, b).backward(gy); });
  report_flops(state, 6.0 * double(M * in * out));
}

// Args: N, S, c.
void BM_cuda_train_step(benchmark::State& state) {
  const int64_t N = state.range(0), S = state.range(1), c = state.range(2);
  Generator gen(1);
  PaperLikeNet net(c, gen);
  net.to(Device::cuda());
  optim::AdamOptions o;
  o.lr = 1e-3;
  optim::Adam adam(net.named_parameters(), o);
  const auto [x, mask] = disc_batch(N, S, Device::cuda());
  run(state, [&] {
    adam.zero_grad();
    net.loss(x, mask).backward();
    adam.step();
  });
  state.counters["params"] = double(net.num_parameters());
}

// Args: N, C, K, H (= W), kh, kw, stride, ph, pw.
kernels::ConvGeom geom_of(const benchmark::State& state) {
  kernels::ConvGeom g;
  g.C = state.range(1), g.H = g.W = state.range(3), g.kh = state.range(4), g.kw = state.range(5);
  g.sh = g.sw = state.range(6), g.ph = state.range(7), g.pw = state.range(8);
  g.Ho = (g.H + 2 * g.ph - g.kh) / g.sh + 1;
  g.Wo = (g.W + 2 * g.pw - g.kw) / g.sw + 1;
  return g;
}

double geom_flops(int64_t N, int64_t K, const kernels::ConvGeom& g) {
  return 2.0 * double(N * K) * double(g.C * g.kh * g.kw) * double(g.Ho * g.Wo);
}

void BM_cuda_conv2d_geom_forward(benchmark::State& state) {
  const int64_t N = state.range(0), K = state.range(2);
  const auto g = geom_of(state);
  const Device d = Device::cuda();
  const Tensor x = randn({N, g.C, g.H, g.W}, d), w = randn({K, g.C, g.kh, g.kw}, d);
  Tensor y = Tensor::empty({N, K, g.Ho, g.Wo}, DType::F32, d);
  run(state, [&] { nn::detail::cudnn_conv_forward(0, x.data<float>(), w.data<float>(), y.data<float>(), N, K, g, 0); });
  report_flops(state, geom_flops(N, K, g));
}

void BM_cuda_conv2d_geom_backward(benchmark::State& state) {
  const int64_t N = state.range(0), K = state.range(2);
  const auto g = geom_of(state);
  const Device d = Device::cuda();
  const Tensor x = randn({N, g.C, g.H, g.W}, d), w = randn({K, g.C, g.kh, g.kw}, d), gy = randn({N, K, g.Ho, g.Wo}, d);
  Tensor dx = Tensor::empty(x.shape(), DType::F32, d), dw = Tensor::empty(w.shape(), DType::F32, d);
  run(state, [&] {
    nn::detail::cudnn_conv_backward_data(0, w.data<float>(), gy.data<float>(), dx.data<float>(), N, K, g);
    nn::detail::cudnn_conv_backward_filter(0, x.data<float>(), gy.data<float>(), dw.data<float>(), N, K, g);
  });
  report_flops(state, 2 * geom_flops(N, K, g));
}

void BM_cuda_conv_transpose2d_4x4(benchmark::State& state) {  // Args: N, C, K, H
  const int64_t N = state.range(0), C = state.range(1), K = state.range(2), H = state.range(3);
  const Device d = Device::cuda();
  Tensor x = randn({N, C, H, H}, d), w = randn({C, K, 4, 4}, d), b = randn({K}, d);
  x.requires_grad_(), w.requires_grad_(), b.requires_grad_();
  nn::ConvParams p;
  p.sh = p.sw = 2, p.ph = p.pw = 1;
  const Tensor gy = randn({N, K, 2 * H, 2 * H}, d);
  run(state, [&] { nn::conv_transpose2d(x, w, b, p).backward(gy); });
  report_flops(state, 3 * 2.0 * double(N * C * K * 16 * H * H));
}

void BM_cuda_prelu(benchmark::State& state) {  // Args: N, C, H
  const int64_t N = state.range(0), C = state.range(1), H = state.range(2);
  const Device d = Device::cuda();
  Tensor x = randn({N, C, H, H}, d), a = Tensor::full({C}, 0.25f, d);
  x.requires_grad_(), a.requires_grad_();
  const Tensor gy = randn(x.shape(), d);
  run(state, [&] { nn::prelu(x, a).backward(gy); });
}

void BM_cuda_tanh(benchmark::State& state) {
  Tensor x = randn({state.range(0)}, Device::cuda());
  x.requires_grad_();
  const Tensor gy = randn(x.shape(), Device::cuda());
  run(state, [&] { tanh(x).backward(gy); });
}

void BM_cuda_instance_norm(benchmark::State& state) {  // Args: N, C, H
  const int64_t N = state.range(0), C = state.range(1), H = state.range(2);
  const Device d = Device::cuda();
  Tensor x = randn({N, C, H, H}, d), gamma = Tensor::ones({C}, d), beta = Tensor::zeros({C}, DType::F32, d);
  x.requires_grad_(), gamma.requires_grad_(), beta.requires_grad_();
  const Tensor gy = randn(x.shape(), d);
  run(state, [&] { nn::instance_norm2d(x, gamma, beta).backward(gy); });
}

void BM_cuda_maxpool_ceil(benchmark::State& state) {  // Args: N, C, H; 3x3 / 2, ceil_mode
  const int64_t N = state.range(0), C = state.range(1), H = state.range(2);
  const Device d = Device::cuda();
  Tensor x = randn({N, C, H, H}, d);
  x.requires_grad_();
  const auto p = nn::PoolParams::square(3, 2, 0, true, true);
  const Tensor gy = randn(nn::max_pool2d(x.detach(), p).shape(), d);
  run(state, [&] { nn::max_pool2d(x, p).backward(gy); });
}

void BM_cuda_global_avgpool(benchmark::State& state) {  // Args: N, C, H
  const int64_t N = state.range(0), C = state.range(1), H = state.range(2);
  const Device d = Device::cuda();
  Tensor x = randn({N, C, H, H}, d);
  x.requires_grad_();
  const Tensor gy = randn({N, C, 1, 1}, d);
  run(state, [&] { nn::global_avg_pool2d(x).backward(gy); });
}

void BM_cuda_cross_entropy(benchmark::State& state) {  // Args: N, K
  const int64_t N = state.range(0), K = state.range(1);
  const Device d = Device::cuda();
  Tensor z = randn({N, K}, d);
  z.requires_grad_();
  std::vector<float> lv(static_cast<size_t>(N));
  for (int64_t i = 0; i < N; ++i) lv[size_t(i)] = float((i * 7) % K);
  const Tensor labels = Tensor::from_vector(lv, {N}, d);
  run(state, [&] { cross_entropy_loss(z, labels).backward(); });
}

void register_layers_cuda() {
  auto reg = [](benchmark::internal::Benchmark* b) { b->UseManualTime()->MinTime(0.2); };
  const int64_t shapes[][4] = {{16, 32, 32, 256},  {16, 64, 64, 128}, {16, 128, 128, 64}, {16, 256, 256, 32},
                               {16, 512, 512, 16}, {16, 1, 32, 256},  {16, 96, 32, 256}};
  for (const auto& a : shapes) {
    reg(benchmark::RegisterBenchmark("cuda/conv2d_forward", BM_cuda_conv2d_forward)->Args({a[0], a[1], a[2], a[3]}));
    reg(benchmark::RegisterBenchmark("cuda/conv2d_backward", BM_cuda_conv2d_backward)->Args({a[0], a[1], a[2], a[3]}));
  }
  reg(benchmark::RegisterBenchmark("cuda/batchnorm", BM_cuda_batchnorm)->Args({16, 32, 256}));
  reg(benchmark::RegisterBenchmark("cuda/maxpool", BM_cuda_maxpool)->Args({16, 32, 256}));
  reg(benchmark::RegisterBenchmark("cuda/upsample", BM_cuda_upsample)->Args({16, 64, 256}));
  reg(benchmark::RegisterBenchmark("cuda/avgpool", BM_cuda_avgpool)->Args({16, 1, 256, 31})->Args({16, 32, 256, 2}));
  reg(benchmark::RegisterBenchmark("cuda/conv_transpose2d", BM_cuda_conv_transpose2d)->Args({16, 128, 64}));
  reg(benchmark::RegisterBenchmark("cuda/leaky_relu", BM_cuda_leaky_relu)->Arg(kFeatureGpu));
  reg(benchmark::RegisterBenchmark("cuda/dropout", BM_cuda_dropout)->Arg(kFeatureGpu));
  reg(benchmark::RegisterBenchmark("cuda/linear", BM_cuda_linear)->Args({4096, 1024, 1024}));
  reg(benchmark::RegisterBenchmark("cuda/train_step", BM_cuda_train_step)->Args({16, 256, 32}));
  // N, C, K, H, kh, kw, stride, ph, pw (bench/layers.cpp's geometries at batch 32 / 16).
  const int64_t geoms[][9] = {
      {32, 3, 64, 224, 11, 11, 4, 2, 2}, {32, 3, 64, 224, 7, 7, 2, 3, 3},   {16, 16, 16, 256, 5, 5, 1, 2, 2},
      {16, 16, 32, 256, 2, 2, 2, 0, 0},  {16, 64, 128, 128, 4, 4, 2, 1, 1}, {32, 128, 128, 17, 1, 7, 1, 0, 3},
      {32, 128, 128, 17, 7, 1, 1, 3, 0}, {32, 64, 96, 35, 3, 3, 2, 0, 0},   {32, 256, 64, 28, 1, 1, 1, 0, 0}};
  for (const auto& a : geoms) {
    const std::vector<int64_t> args(a, a + 9);
    reg(benchmark::RegisterBenchmark("cuda/conv2d_geom_forward", BM_cuda_conv2d_geom_forward)->Args(args));
    reg(benchmark::RegisterBenchmark("cuda/conv2d_geom_backward", BM_cuda_conv2d_geom_backward)->Args(args));
  }
  reg(benchmark::RegisterBenchmark("cuda/conv_transpose2d_4x4", BM_cuda_conv_transpose2d_4x4)->Args({16, 128, 64, 64}));
  reg(benchmark::RegisterBenchmark("cuda/prelu", BM_cuda_prelu)->Args({16, 32, 256}));
  reg(benchmark::RegisterBenchmark("cuda/tanh", BM_cuda_tanh)->Arg(kFeatureGpu));
  reg(benchmark::RegisterBenchmark("cuda/instance_norm", BM_cuda_instance_norm)->Args({16, 64, 128}));
  reg(benchmark::RegisterBenchmark("cuda/maxpool_ceil", BM_cuda_maxpool_ceil)->Args({32, 64, 111}));
  reg(benchmark::RegisterBenchmark("cuda/global_avgpool", BM_cuda_global_avgpool)->Args({32, 2048, 7}));
  reg(benchmark::RegisterBenchmark("cuda/cross_entropy", BM_cuda_cross_entropy)->Args({256, 1000})->Args({64, 2}));
}

const BenchRegistrar registrar(true, register_layers_cuda);

}  // namespace
}  // namespace fbd::bench
