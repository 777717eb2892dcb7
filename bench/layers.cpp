// CPU cases of the layers: Conv2d forward and backward (input and weight gradients) at the
// paper network's stage shapes scaled down for the CPU (batch 4, 128x128 with 32 channels,
// halving the size and doubling the channels down to 8x8 with 512) and at the shapes of the
// training-step network; every other layer forward + backward (batch norm, max and average
// pooling including the 31x31 window, upsampling, transposed conv, LeakyReLU, dropout, linear);
// and one full training step (forward, backward, Adam) of the paper-like network of
// layers_net.h at batch 8, 96x96, width 16. GEMM-like cases report FLOP/s (2 flops per
// multiply-add; a backward counts both products). The comparison networks' and classifiers'
// pieces: Conv2d forward and backward at their geometries (AlexNet 11x11 / 4, ResNet 7x7 / 2,
// V-Net 5x5 and 2x2 / 2, pix2pix 4x4 / 2, InceptionV3 1x7 / 7x1 and 3x3 / 2, 1x1), pix2pix's
// 4x4 / 2 transposed conv, PReLU, tanh, instance norm, ceil_mode max pooling, global average
// pooling and the classification cross-entropy, each forward + backward.
#include <benchmark/benchmark.h>

#include <optional>

#include "bench/bench_common.h"
#include "bench/layers_net.h"
#include "core/autograd.h"
#include "core/rng.h"
#include "kernels/batchnorm_kernels.h"
#include "layers/conv_cpu.h"
#include "layers/instance_norm.h"
#include "losses/losses.h"
#include "optim/adam.h"

namespace fbd::bench {
namespace {

kernels::ConvGeom geom3x3(int64_t C, int64_t H) {
  kernels::ConvGeom g;
  g.C = C, g.H = g.W = g.Ho = g.Wo = H, g.kh = g.kw = 3, g.ph = g.pw = 1;
  return g;
}

double conv_flops(int64_t N, int64_t C, int64_t K, int64_t H) { return 2.0 * double(N * K * C * 9 * H * H); }

void report_flops(benchmark::State& state, double flops) {
  state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
}

// Forces a CPU convolution algorithm for the duration of one case (none: the process default,
// oneDNN where fbd is built with it, FBD_CPU_CONV).
using Algo = std::optional<nn::detail::CpuConvAlgo>;
struct AlgoScope {
  explicit AlgoScope(Algo a) : saved(nn::detail::cpu_conv_algo()) {
    if (a) nn::detail::set_cpu_conv_algo(*a);
  }
  ~AlgoScope() { nn::detail::set_cpu_conv_algo(saved); }
  nn::detail::CpuConvAlgo saved;
};

// Args: N, C (input channels), K (output channels), H (= W); 3x3, stride 1, padding 1.
// The plain cases run the default backend; _fbd forces fbd's own kernels (direct or GEMM, as
// chosen), _gemm forces im2col + GEMM, to show what the direct kernels buy.
void BM_cpu_conv2d_forward(benchmark::State& state, Algo algo) {
  AlgoScope scope(algo);
  const int64_t N = state.range(0), C = state.range(1), K = state.range(2), H = state.range(3);
  const Tensor x = randn({N, C, H, H}), w = randn({K, C, 3, 3}), b = randn({K});
  Tensor y = Tensor::empty({N, K, H, H});
  const auto g = geom3x3(C, H);
  run_cpu(state, double(x.nbytes() + y.nbytes()), [&] {
    nn::detail::conv_forward_cpu(x.data<float>(), w.data<float>(), b.data<float>(), y.data<float>(), N, K, g);
  });
  report_flops(state, conv_flops(N, C, K, H));
}

// Input and weight gradients.
void BM_cpu_conv2d_backward(benchmark::State& state, Algo algo) {
  AlgoScope scope(algo);
  const int64_t N = state.range(0), C = state.range(1), K = state.range(2), H = state.range(3);
  const Tensor x = randn({N, C, H, H}), w = randn({K, C, 3, 3}), gy = randn({N, K, H, H});
  Tensor dx = Tensor::empty(x.shape()), dw = Tensor::empty(w.shape());
  const auto g = geom3x3(C, H);
  run_cpu(state, double(2 * x.nbytes() + gy.nbytes()), [&] {
    nn::detail::conv_backward_cpu(x.data<float>(), w.data<float>(), gy.data<float>(), dx.data<float>(),
                                  dw.data<float>(), N, K, g);
  });
  report_flops(state, 2 * conv_flops(N, C, K, H));
}

// Batch norm training forward + backward through the ops (the kernels and their glue).
void BM_cpu_batchnorm(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1), H = state.range(2);
  Tensor x = randn({N, C, H, H}), gamma = Tensor::ones({C}), beta = Tensor::zeros({C});
  x.requires_grad_(), gamma.requires_grad_(), beta.requires_grad_();
  const Tensor gy = randn(x.shape());
  run_cpu(state, 5.0 * double(x.nbytes()),
          [&] { nn::batch_norm2d(x, gamma, beta, Tensor(), Tensor(), true).backward(gy); });
}

void BM_cpu_maxpool(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1), H = state.range(2);
  Tensor x = randn({N, C, H, H});
  x.requires_grad_();
  const Tensor gy = randn({N, C, H / 2, H / 2});
  run_cpu(state, 2.5 * double(x.nbytes()), [&] { nn::max_pool2d(x, nn::PoolParams::square(2)).backward(gy); });
}

void BM_cpu_upsample(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1), H = state.range(2);
  Tensor x = randn({N, C, H / 2, H / 2});
  x.requires_grad_();
  const Tensor gy = randn({N, C, H, H});
  run_cpu(state, 2.5 * double(gy.nbytes()),
          [&] { nn::upsample_bilinear(x, nn::UpsampleOptions::size(H, H)).backward(gy); });
}

// Average pooling 31x31 / stride 1 / padding 15 (the structure loss's window) and 2x2.
void BM_cpu_avgpool(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1), H = state.range(2), k = state.range(3);
  Tensor x = randn({N, C, H, H});
  x.requires_grad_();
  const auto p = k == 31 ? nn::PoolParams::square(31, 1, 15) : nn::PoolParams::square(k);
  const Tensor gy = randn(nn::avg_pool2d(x.detach(), p).shape());
  run_cpu(state, 2.0 * double(x.nbytes() + gy.nbytes()), [&] { nn::avg_pool2d(x, p).backward(gy); });
}

void BM_cpu_conv_transpose2d(benchmark::State& state) {  // 2x2 stride 2, the decoder's upsampling
  const int64_t N = state.range(0), C = state.range(1), H = state.range(2);
  Tensor x = randn({N, C, H, H}), w = randn({C, C / 2, 2, 2}), b = randn({C / 2});
  x.requires_grad_(), w.requires_grad_(), b.requires_grad_();
  nn::ConvParams p;
  p.sh = p.sw = 2;
  const Tensor gy = randn({N, C / 2, 2 * H, 2 * H});
  run_cpu(state, 0, [&] { nn::conv_transpose2d(x, w, b, p).backward(gy); });
  report_flops(state, 3 * 2.0 * double(N * C * (C / 2) * 4 * H * H));
}

void BM_cpu_leaky_relu(benchmark::State& state) {
  Tensor x = randn({state.range(0)});
  x.requires_grad_();
  const Tensor gy = randn(x.shape());
  run_cpu(state, 5.0 * double(x.nbytes()), [&] { nn::leaky_relu(x, 0.01f).backward(gy); });
}

void BM_cpu_dropout(benchmark::State& state) {
  Tensor x = randn({state.range(0)});
  x.requires_grad_();
  const Tensor gy = randn(x.shape());
  Generator gen(2);
  run_cpu(state, 4.5 * double(x.nbytes()), [&] { nn::dropout(x, 0.5f, true, gen).backward(gy); });
}

// Args: rows, in, out (the MLP classifier's shapes).
void BM_cpu_linear(benchmark::State& state) {
  const int64_t M = state.range(0), in = state.range(1), out = state.range(2);
  Tensor x = randn({M, in}), w = randn({out, in}), b = randn({out});
  x.requires_grad_(), w.requires_grad_(), b.requires_grad_();
  const Tensor gy = randn({M, out});
  run_cpu(state, 0, [&] { nn::linear(x, w, b).backward(gy); });
  report_flops(state, 6.0 * double(M * in * out));
}

// Args: N, C, K, H (= W), kh, kw, stride, ph, pw: one geometry of the comparison networks.
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

void BM_cpu_conv2d_geom_forward(benchmark::State& state, Algo algo) {
  AlgoScope scope(algo);
  const int64_t N = state.range(0), K = state.range(2);
  const auto g = geom_of(state);
  const Tensor x = randn({N, g.C, g.H, g.W}), w = randn({K, g.C, g.kh, g.kw}), b = randn({K});
  Tensor y = Tensor::empty({N, K, g.Ho, g.Wo});
  run_cpu(state, double(x.nbytes() + y.nbytes()), [&] {
    nn::detail::conv_forward_cpu(x.data<float>(), w.data<float>(), b.data<float>(), y.data<float>(), N, K, g);
  });
  report_flops(state, geom_flops(N, K, g));
}

void BM_cpu_conv2d_geom_backward(benchmark::State& state, Algo algo) {
  AlgoScope scope(algo);
  const int64_t N = state.range(0), K = state.range(2);
  const auto g = geom_of(state);
  const Tensor x = randn({N, g.C, g.H, g.W}), w = randn({K, g.C, g.kh, g.kw}), gy = randn({N, K, g.Ho, g.Wo});
  Tensor dx = Tensor::empty(x.shape()), dw = Tensor::empty(w.shape());
  run_cpu(state, double(2 * x.nbytes() + gy.nbytes()), [&] {
    nn::detail::conv_backward_cpu(x.data<float>(), w.data<float>(), gy.data<float>(), dx.data<float>(),
                                  dw.data<float>(), N, K, g);
  });
  report_flops(state, 2 * geom_flops(N, K, g));
}

// pix2pix's decoder upsampling: 4x4, stride 2, padding 1, C -> K channels. Args: N, C, K, H.
void BM_cpu_conv_transpose2d_4x4(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1), K = state.range(2), H = state.range(3);
  Tensor x = randn({N, C, H, H}), w = randn({C, K, 4, 4}), b = randn({K});
  x.requires_grad_(), w.requires_grad_(), b.requires_grad_();
  nn::ConvParams p;
  p.sh = p.sw = 2, p.ph = p.pw = 1;
  const Tensor gy = randn({N, K, 2 * H, 2 * H});
  run_cpu(state, 0, [&] { nn::conv_transpose2d(x, w, b, p).backward(gy); });
  report_flops(state, 3 * 2.0 * double(N * C * K * 16 * H * H));
}

// Args: N, C, H (= W); one slope per channel.
void BM_cpu_prelu(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1), H = state.range(2);
  Tensor x = randn({N, C, H, H}), a = Tensor::full({C}, 0.25f);
  x.requires_grad_(), a.requires_grad_();
  const Tensor gy = randn(x.shape());
  run_cpu(state, 5.0 * double(x.nbytes()), [&] { nn::prelu(x, a).backward(gy); });
}

void BM_cpu_tanh(benchmark::State& state) {
  Tensor x = randn({state.range(0)});
  x.requires_grad_();
  const Tensor gy = randn(x.shape());
  run_cpu(state, 5.0 * double(x.nbytes()), [&] { tanh(x).backward(gy); });
}

// Affine instance norm, forward + backward. Args: N, C, H (= W).
void BM_cpu_instance_norm(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1), H = state.range(2);
  Tensor x = randn({N, C, H, H}), gamma = Tensor::ones({C}), beta = Tensor::zeros({C});
  x.requires_grad_(), gamma.requires_grad_(), beta.requires_grad_();
  const Tensor gy = randn(x.shape());
  run_cpu(state, 8.0 * double(x.nbytes()), [&] { nn::instance_norm2d(x, gamma, beta).backward(gy); });
}

// 3x3 / stride 2 max pooling with ceil_mode (AlexNet's and GoogLeNet's). Args: N, C, H (= W).
void BM_cpu_maxpool_ceil(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1), H = state.range(2);
  Tensor x = randn({N, C, H, H});
  x.requires_grad_();
  const auto p = nn::PoolParams::square(3, 2, 0, true, true);
  const Tensor gy = randn(nn::max_pool2d(x.detach(), p).shape());
  run_cpu(state, 2.5 * double(x.nbytes()), [&] { nn::max_pool2d(x, p).backward(gy); });
}

// A classifier's last pooling (nn.AdaptiveAvgPool2d(1)). Args: N, C, H (= W).
void BM_cpu_global_avgpool(benchmark::State& state) {
  const int64_t N = state.range(0), C = state.range(1), H = state.range(2);
  Tensor x = randn({N, C, H, H});
  x.requires_grad_();
  const Tensor gy = randn({N, C, 1, 1});
  run_cpu(state, 2.0 * double(x.nbytes()), [&] { nn::global_avg_pool2d(x).backward(gy); });
}

// Classification cross-entropy, forward + backward. Args: N (rows), K (classes).
void BM_cpu_cross_entropy(benchmark::State& state) {
  const int64_t N = state.range(0), K = state.range(1);
  Tensor z = randn({N, K});
  z.requires_grad_();
  std::vector<float> lv(static_cast<size_t>(N));
  for (int64_t i = 0; i < N; ++i) lv[size_t(i)] = float((i * 7) % K);
  const Tensor labels = Tensor::from_vector(lv, {N});
  run_cpu(state, 3.0 * double(z.nbytes()), [&] { cross_entropy_loss(z, labels).backward(); });
}

// Args: N, S (input size), c (width).
void BM_cpu_train_step(benchmark::State& state) {
  const int64_t N = state.range(0), S = state.range(1), c = state.range(2);
  Generator gen(1);
  PaperLikeNet net(c, gen);
  optim::AdamOptions o;
  o.lr = 1e-3;
  optim::Adam adam(net.named_parameters(), o);
  const auto [x, mask] = disc_batch(N, S, Device::cpu());
  run_cpu(state, 0, [&] {
    adam.zero_grad();
    net.loss(x, mask).backward();
    adam.step();
  });
  state.counters["params"] = double(net.num_parameters());
}

void register_layers_cpu() {
  // The paper's stages scaled for the CPU, then the shapes of the training-step network.
  const int64_t shapes[][4] = {{4, 32, 32, 128}, {4, 64, 64, 64},  {4, 128, 128, 32}, {4, 256, 256, 16},
                               {4, 512, 512, 8}, {8, 1, 16, 96},   {8, 16, 16, 96},   {8, 48, 16, 96},
                               {8, 32, 32, 48},  {8, 96, 32, 48},  {8, 64, 64, 24},   {8, 128, 128, 12},
                               {8, 256, 256, 6}, {8, 384, 128, 12}};
  using nn::detail::CpuConvAlgo;
  for (const auto& a : shapes) {
    const std::vector<int64_t> args{a[0], a[1], a[2], a[3]};
    benchmark::RegisterBenchmark("cpu/conv2d_forward", BM_cpu_conv2d_forward, Algo())->Args(args);
    benchmark::RegisterBenchmark("cpu/conv2d_backward", BM_cpu_conv2d_backward, Algo())->Args(args);
    benchmark::RegisterBenchmark("cpu/conv2d_forward_fbd", BM_cpu_conv2d_forward, CpuConvAlgo::Auto)->Args(args);
    benchmark::RegisterBenchmark("cpu/conv2d_backward_fbd", BM_cpu_conv2d_backward, CpuConvAlgo::Auto)->Args(args);
    benchmark::RegisterBenchmark("cpu/conv2d_forward_gemm", BM_cpu_conv2d_forward, CpuConvAlgo::Gemm)->Args(args);
    benchmark::RegisterBenchmark("cpu/conv2d_backward_gemm", BM_cpu_conv2d_backward, CpuConvAlgo::Gemm)->Args(args);
  }
  benchmark::RegisterBenchmark("cpu/batchnorm", BM_cpu_batchnorm)->Args({8, 16, 96});
  benchmark::RegisterBenchmark("cpu/maxpool", BM_cpu_maxpool)->Args({8, 16, 96});
  benchmark::RegisterBenchmark("cpu/upsample", BM_cpu_upsample)->Args({8, 32, 96});
  benchmark::RegisterBenchmark("cpu/avgpool", BM_cpu_avgpool)->Args({16, 1, 128, 31})->Args({8, 16, 96, 2});
  benchmark::RegisterBenchmark("cpu/conv_transpose2d", BM_cpu_conv_transpose2d)->Args({8, 64, 24});
  benchmark::RegisterBenchmark("cpu/leaky_relu", BM_cpu_leaky_relu)->Arg(kFeatureCpu);
  benchmark::RegisterBenchmark("cpu/dropout", BM_cpu_dropout)->Arg(kFeatureCpu);
  benchmark::RegisterBenchmark("cpu/linear", BM_cpu_linear)->Args({256, 512, 256});
  benchmark::RegisterBenchmark("cpu/train_step", BM_cpu_train_step)->Args({8, 96, 16})->MinTime(2.0);
  // N, C, K, H, kh, kw, stride, ph, pw: AlexNet conv1, ResNet stem, V-Net 5x5 and 2x2 / 2,
  // pix2pix 4x4 / 2, InceptionV3 1x7, 7x1, 3x3 / 2 (no padding) and a 1x1.
  const int64_t geoms[][9] = {
      {4, 3, 64, 224, 11, 11, 4, 2, 2}, {4, 3, 64, 224, 7, 7, 2, 3, 3},   {2, 16, 16, 64, 5, 5, 1, 2, 2},
      {2, 16, 32, 64, 2, 2, 2, 0, 0},   {1, 64, 128, 128, 4, 4, 2, 1, 1}, {4, 128, 128, 17, 1, 7, 1, 0, 3},
      {4, 128, 128, 17, 7, 1, 1, 3, 0}, {4, 64, 96, 35, 3, 3, 2, 0, 0},   {4, 256, 64, 28, 1, 1, 1, 0, 0}};
  for (const auto& a : geoms) {
    const std::vector<int64_t> args(a, a + 9);
    benchmark::RegisterBenchmark("cpu/conv2d_geom_forward", BM_cpu_conv2d_geom_forward, Algo())->Args(args);
    benchmark::RegisterBenchmark("cpu/conv2d_geom_backward", BM_cpu_conv2d_geom_backward, Algo())->Args(args);
    benchmark::RegisterBenchmark("cpu/conv2d_geom_forward_fbd", BM_cpu_conv2d_geom_forward, CpuConvAlgo::Auto)
        ->Args(args);
    benchmark::RegisterBenchmark("cpu/conv2d_geom_backward_fbd", BM_cpu_conv2d_geom_backward, CpuConvAlgo::Auto)
        ->Args(args);
  }
  benchmark::RegisterBenchmark("cpu/conv_transpose2d_4x4", BM_cpu_conv_transpose2d_4x4)->Args({1, 128, 64, 32});
  benchmark::RegisterBenchmark("cpu/prelu", BM_cpu_prelu)->Args({16, 32, 128});
  benchmark::RegisterBenchmark("cpu/tanh", BM_cpu_tanh)->Arg(kFeatureCpu);
  benchmark::RegisterBenchmark("cpu/instance_norm", BM_cpu_instance_norm)->Args({4, 64, 64});
  benchmark::RegisterBenchmark("cpu/maxpool_ceil", BM_cpu_maxpool_ceil)->Args({8, 64, 55});
  benchmark::RegisterBenchmark("cpu/global_avgpool", BM_cpu_global_avgpool)->Args({32, 512, 7});
  benchmark::RegisterBenchmark("cpu/cross_entropy", BM_cpu_cross_entropy)->Args({256, 1000})->Args({64, 2});
}

const BenchRegistrar registrar(false, register_layers_cpu);

}  // namespace
}  // namespace fbd::bench
