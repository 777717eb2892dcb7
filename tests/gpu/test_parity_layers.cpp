// Every layer on CUDA against its CPU twin, forward and backward (input and parameter
// gradients), plus the raw layer kernels with guard values around their outputs, the cuDNN
// algorithm cache and deterministic mode. An element passes when |cpu - gpu| <= tol + eps |cpu|;
// each tolerance is stated beside its test with the reason.
#include <doctest/doctest.h>

#include <cstring>
#include <functional>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/rng.h"
#include "kernels/activation_kernels.h"
#include "kernels/dropout_kernels.h"
#include "kernels/instance_norm_kernels.h"
#include "kernels/pool_kernels.h"
#include "kernels/upsample_kernels.h"
#include "layers/layers.h"
#include "tests/gpu/gpu_util.h"
#include "tests/test_util.h"

using namespace fbd;

namespace {

using test::parity;

Tensor R(const Shape& s, float lo, float hi, uint64_t seed) { return test::random_tensor(s, lo, hi, seed); }

nn::ConvParams P(int64_t s, int64_t pad, int64_t d) {
  nn::ConvParams p;
  p.sh = p.sw = s, p.ph = p.pw = pad, p.dh = p.dw = d;
  return p;
}

}  // namespace

TEST_CASE("layer parity: conv2d and conv_transpose2d (cuDNN) against im2col + OpenBLAS") {
  // Both sides sum C*kh*kw (<= 576 here) O(1) products in float32 in different orders (cuDNN
  // FMA math, no TF32; OpenBLAS blocking): differences up to ~K * 2^-24 * sum|terms| ~ 3e-5.
  const double tol = 1e-4, eps = 1e-4;
  parity(
      "conv2d 3x3 pad 1", [](auto& v) { return nn::conv2d(v[0], v[1], v[2], P(1, 1, 1)); },
      {R({4, 16, 33, 30}, -1, 1, 1), R({32, 16, 3, 3}, -1, 1, 2), R({32}, -1, 1, 3)}, tol, eps);
  parity(
      "conv2d stride 2 dilation 2", [](auto& v) { return nn::conv2d(v[0], v[1], v[2], P(2, 2, 2)); },
      {R({3, 8, 21, 19}, -1, 1, 4), R({12, 8, 3, 3}, -1, 1, 5), R({12}, -1, 1, 6)}, tol, eps);
  parity(
      "conv2d 1x1 no bias", [](auto& v) { return nn::conv2d(v[0], v[1], Tensor()); },
      {R({2, 64, 8, 8}, -1, 1, 7), R({32, 64, 1, 1}, -1, 1, 8)}, tol, eps);
  parity(
      "conv2d small planes, deep", [](auto& v) { return nn::conv2d(v[0], v[1], v[2], P(1, 1, 1)); },
      {R({16, 64, 6, 6}, -1, 1, 9), R({64, 64, 3, 3}, -1, 1, 10), R({64}, -1, 1, 11)}, tol, eps);
  nn::ConvParams pt = P(2, 1, 1);
  pt.oph = pt.opw = 1;
  parity(
      "conv_transpose2d stride 2", [pt](auto& v) { return nn::conv_transpose2d(v[0], v[1], v[2], pt); },
      {R({2, 16, 9, 8}, -1, 1, 12), R({16, 8, 3, 3}, -1, 1, 13), R({8}, -1, 1, 14)}, tol, eps);
  parity(
      "conv_transpose2d 2x2 stride 2 (the decoder's upsampling)",
      [](auto& v) { return nn::conv_transpose2d(v[0], v[1], v[2], P(2, 0, 1)); },
      {R({2, 32, 8, 8}, -1, 1, 15), R({32, 16, 2, 2}, -1, 1, 16), R({16}, -1, 1, 17)}, tol, eps);
}

TEST_CASE("layer parity: batch_norm2d (cuDNN) against the CPU twin, running statistics included") {
  // The CPU sums statistics in double, cuDNN in float with its own order; normalised outputs
  // are O(1) with relative differences ~1e-6; gradients involve sums over N*H*W = 2048 values.
  Tensor rm[2], rv[2];
  for (int d = 0; d < 2; ++d) {
    const Device dev = d == 0 ? Device::cpu() : Device::cuda();
    rm[d] = R({6}, -0.5f, 0.5f, 20).to(dev).clone();
    rv[d] = R({6}, 0.5f, 2, 21).to(dev).clone();
  }
  int call = 0;
  parity(
      "batch_norm2d training",
      [&](auto& v) {
        const int d = call++;
        return nn::batch_norm2d(v[0], v[1], v[2], rm[d], rv[d], true, 0.1, 1e-5);
      },
      {R({8, 6, 16, 16}, -2, 3, 22), R({6}, 0.5f, 1.5f, 23), R({6}, -1, 1, 24)}, 1e-4, 1e-4);
  test::check_close(rm[0].to_vector(), rm[1].cpu().to_vector(), 1e-6, 1e-5, "running_mean");
  test::check_close(rv[0].to_vector(), rv[1].cpu().to_vector(), 1e-6, 1e-5, "running_var");
  const Tensor m = R({6}, -0.5f, 0.5f, 25), s = R({6}, 0.5f, 2, 26);
  parity(
      "batch_norm2d eval",
      [&](auto& v) { return nn::batch_norm2d(v[0], v[1], v[2], m.to(v[0].device()), s.to(v[0].device()), false); },
      {R({4, 6, 8, 8}, -2, 3, 27), R({6}, 0.5f, 1.5f, 28), R({6}, -1, 1, 29)}, 1e-5, 1e-5);
}

TEST_CASE("layer parity: activations, pooling, upsampling, dropout, linear, concat") {
  // Comparisons, copies and the same sequence of float adds and one divide: exact.
  parity(
      "leaky_relu", [](auto& v) { return nn::leaky_relu(v[0], 0.1f); }, {R({3, 5, 17, 9}, -2, 2, 30)}, 0, 0);
  parity(
      "max_pool2d k3 s2 p1", [](auto& v) { return nn::max_pool2d(v[0], nn::PoolParams::square(3, 2, 1)); },
      {R({2, 4, 33, 31}, -1, 1, 31)}, 0, 0);
  parity(
      "avg_pool2d k2", [](auto& v) { return nn::avg_pool2d(v[0], nn::PoolParams::square(2)); },
      {R({2, 4, 32, 30}, -1, 1, 32)}, 0, 0);
  parity(
      "avg_pool2d 31x31 s1 p15", [](auto& v) { return nn::avg_pool2d(v[0], nn::PoolParams::square(31, 1, 15, true)); },
      {R({2, 1, 64, 70}, 0, 1, 33)}, 0, 0);
  parity(
      "avg_pool2d k3 s2 p1 without pad",
      [](auto& v) { return nn::avg_pool2d(v[0], nn::PoolParams::square(3, 2, 1, false)); },
      {R({2, 3, 17, 16}, -1, 1, 34)}, 0, 0);
  // Bilinear weights: products and sums that nvcc may fuse into FMAs (and GCC differently):
  // a few ulp of O(1) values.
  for (bool ac : {false, true}) {
    parity(
        "upsample x2", [ac](auto& v) { return nn::upsample_bilinear(v[0], nn::UpsampleOptions::scale(2, 2, ac)); },
        {R({2, 3, 13, 11}, -1, 1, 35)}, 1e-6, 1e-6);
    parity(
        "upsample to 96x80",
        [ac](auto& v) { return nn::upsample_bilinear(v[0], nn::UpsampleOptions::size(96, 80, ac)); },
        {R({2, 2, 6, 5}, -1, 1, 36)}, 1e-5, 1e-6);
  }
  // The mask is the same Philox stream on both devices and the scaling one multiply: exact.
  parity(
      "dropout",
      [](auto& v) {
        Generator gen(5);
        return nn::dropout(v[0], 0.3f, true, gen);
      },
      {R({4, 8, 15, 15}, -1, 1, 37)}, 0, 0);
  // cuBLAS and OpenBLAS sum 300 products in different orders.
  parity(
      "linear", [](auto& v) { return nn::linear(v[0], v[1], v[2]); },
      {R({33, 300}, -1, 1, 38), R({20, 300}, -1, 1, 39), R({20}, -1, 1, 40)}, 1e-4, 1e-4);
  parity(
      "concat_channels",
      [](auto& v) {
        return nn::concat_channels({v[0], v[1]});
      },
      {R({2, 3, 5, 5}, -1, 1, 41), R({2, 4, 5, 5}, -1, 1, 42)}, 0, 0);
}

TEST_CASE("layer kernels: the CPU twin's values, and nothing written outside outputs, indices, masks, workspaces") {
  // Every output, index map, mask and workspace sits between guard regions (tests/gpu/gpu_util.h);
  // the values are held to the parity tolerances above (pooling, activations and dropout exact,
  // bilinear a few ulp). Odd sizes, so the last block of each launch is ragged.
  const kernels::Stream S = cuda::stream();
  kernels::PoolGeom g;
  g.planes = 6, g.H = 19, g.W = 17, g.kh = g.kw = 3, g.sh = g.sw = 2, g.ph = g.pw = 1;
  g.Ho = (g.H + 2 - 3) / 2 + 1, g.Wo = (g.W + 2 - 3) / 2 + 1;
  const int64_t in = g.planes * g.H * g.W, out = g.planes * g.Ho * g.Wo;
  const auto x = test::random_values(in, -1, 1, 50), gy = test::random_values(out, -1, 1, 51);
  test::GuardedBuffer dx(x), dgy(gy);
  {
    INFO("max pool");
    std::vector<float> y(static_cast<size_t>(out)), gx(static_cast<size_t>(in));
    std::vector<int32_t> idx(static_cast<size_t>(out));
    kernels::max_pool_forward_cpu(x.data(), y.data(), idx.data(), g);
    kernels::max_pool_backward_cpu(gy.data(), idx.data(), gx.data(), g);
    test::GuardedBuffer dy(out), dgx(in);
    test::Guarded<int32_t> didx(out);
    kernels::max_pool_forward_cuda(dx.data(), dy.data(), didx.data(), g, S);
    cuda::check_launch("max_pool_forward");
    kernels::max_pool_backward_cuda(dgy.data(), didx.data(), dgx.data(), g, S);
    cuda::check_launch("max_pool_backward");
    cuda::synchronize();
    test::check_close(y, dy.download(), 0, 0, "forward");
    CHECK(didx.download() == idx);
    test::check_close(gx, dgx.download(), 0, 0, "backward");
  }
  for (const bool include_pad : {true, false}) {
    INFO("avg pool, count_include_pad " << include_pad);
    const size_t ws_bytes = kernels::avg_pool_workspace_bytes(g);
    std::vector<float> y(static_cast<size_t>(out)), gx(static_cast<size_t>(in)), ws(ws_bytes / 4 + 1);
    kernels::avg_pool_forward_cpu(x.data(), y.data(), g, include_pad, ws.data());
    kernels::avg_pool_backward_cpu(gy.data(), gx.data(), g, include_pad, ws.data());
    test::GuardedBuffer dy(out), dgx(in), dws(int64_t(ws_bytes / 4) + 1);
    kernels::avg_pool_forward_cuda(dx.data(), dy.data(), g, include_pad, dws.data(), S);
    cuda::check_launch("avg_pool_forward");
    kernels::avg_pool_backward_cuda(dgy.data(), dgx.data(), g, include_pad, dws.data(), S);
    cuda::check_launch("avg_pool_backward");
    cuda::synchronize();
    test::check_close(y, dy.download(), 0, 0, "forward");
    test::check_close(gx, dgx.download(), 0, 0, "backward");
    dws.check_guards();
  }
  {
    INFO("bilinear upsampling 19x17 -> 37x41");
    kernels::UpsampleGeom u;
    u.planes = 6, u.H = 19, u.W = 17, u.Ho = 37, u.Wo = 41;
    u.scale_h = kernels::upsample_scale(19, 37, false, 0), u.scale_w = kernels::upsample_scale(17, 41, false, 0);
    const int64_t up = u.planes * u.Ho * u.Wo;
    const auto ugy = test::random_values(up, -1, 1, 53);
    std::vector<float> y(static_cast<size_t>(up)), gx(static_cast<size_t>(in));
    kernels::upsample_bilinear_forward_cpu(x.data(), y.data(), u);
    kernels::upsample_bilinear_backward_cpu(ugy.data(), gx.data(), u);
    test::GuardedBuffer dy(up), dugy(ugy), dgx(in);
    kernels::upsample_bilinear_forward_cuda(dx.data(), dy.data(), u, S);
    cuda::check_launch("upsample_bilinear_forward");
    kernels::upsample_bilinear_backward_cuda(dugy.data(), dgx.data(), u, S);
    cuda::check_launch("upsample_bilinear_backward");
    cuda::synchronize();
    test::check_close(y, dy.download(), 1e-6, 1e-6, "upsample forward");
    test::check_close(gx, dgx.download(), 1e-5, 1e-6, "upsample backward");
  }
  {
    INFO("leaky relu");
    std::vector<float> y(static_cast<size_t>(in)), gx(static_cast<size_t>(in));
    const auto lgy = test::random_values(in, -1, 1, 54);
    kernels::leaky_relu_forward_cpu(x.data(), y.data(), in, 0.1f);
    kernels::leaky_relu_backward_cpu(x.data(), lgy.data(), gx.data(), in, 0.1f);
    test::GuardedBuffer dy(in), dlgy(lgy), dgx(in);
    kernels::leaky_relu_forward_cuda(dx.data(), dy.data(), in, 0.1f, S);
    cuda::check_launch("leaky_relu_forward");
    kernels::leaky_relu_backward_cuda(dx.data(), dlgy.data(), dgx.data(), in, 0.1f, S);
    cuda::check_launch("leaky_relu_backward");
    cuda::synchronize();
    test::check_close(y, dy.download(), 0, 0, "forward");
    test::check_close(gx, dgx.download(), 0, 0, "backward");
  }
  {
    // n not a multiple of 4: the last Philox block covers elements past n, which must not be written.
    INFO("dropout");
    const int64_t n = 1001;
    const auto dxv = test::random_values(n, -1, 1, 52), dgyv = test::random_values(n, -1, 1, 55);
    std::vector<float> y(static_cast<size_t>(n)), gx(static_cast<size_t>(n));
    std::vector<uint8_t> mask(static_cast<size_t>(n));
    kernels::dropout_forward_cpu(dxv.data(), y.data(), mask.data(), n, 0.5f, 3, 0);
    kernels::dropout_backward_cpu(dgyv.data(), mask.data(), gx.data(), n, 2.0f);
    test::GuardedBuffer din(dxv), dout(n), ddgy(dgyv), dgx(n);
    test::Guarded<uint8_t> dmask(n);
    kernels::dropout_forward_cuda(din.data(), dout.data(), dmask.data(), n, 0.5f, 3, 0, S);
    cuda::check_launch("dropout_forward");
    kernels::dropout_backward_cuda(ddgy.data(), dmask.data(), dgx.data(), n, 2.0f, S);
    cuda::check_launch("dropout_backward");
    cuda::synchronize();
    test::check_close(y, dout.download(), 0, 0, "forward");
    CHECK(dmask.download() == mask);
    test::check_close(gx, dgx.download(), 0, 0, "backward");
    int kept = 0;
    for (uint8_t m : mask) kept += m;
    CHECK(kept > 400);  // p = 0.5: the mask is neither empty nor full
    CHECK(kept < 600);
  }
}

TEST_CASE("layer parity: the comparison networks' and classifiers' convolution geometries (cuDNN)") {
  // The tolerance of the convolutions above: sums of at most C kh kw = 363 (AlexNet's 11x11 over
  // 3 channels) to 576 O(1) products in different orders.
  const double tol = 1e-4, eps = 1e-4;
  struct G {
    const char* name;
    Shape x, w;
    int64_t sh, sw, ph, pw;
  };
  const G geos[] = {
      {"AlexNet 11x11 / 4 / 2", {2, 3, 63, 67}, {16, 3, 11, 11}, 4, 4, 2, 2},
      {"ResNet stem 7x7 / 2 / 3", {2, 3, 37, 35}, {16, 3, 7, 7}, 2, 2, 3, 3},
      {"ResNet 1x1 / 2 shortcut", {2, 32, 15, 15}, {64, 32, 1, 1}, 2, 2, 0, 0},
      {"V-Net 5x5 / 1 / 2", {2, 8, 24, 22}, {16, 8, 5, 5}, 1, 1, 2, 2},
      {"V-Net 2x2 / 2", {2, 16, 24, 23}, {32, 16, 2, 2}, 2, 2, 0, 0},
      {"pix2pix 4x4 / 2 / 1", {2, 8, 32, 30}, {16, 8, 4, 4}, 2, 2, 1, 1},
      {"InceptionV3 1x7, padding (0, 3)", {2, 16, 17, 17}, {24, 16, 1, 7}, 1, 1, 0, 3},
      {"InceptionV3 7x1, padding (3, 0)", {2, 16, 17, 17}, {24, 16, 7, 1}, 1, 1, 3, 0},
      {"InceptionV3 1x3, padding (0, 1)", {2, 32, 8, 8}, {32, 32, 1, 3}, 1, 1, 0, 1},
      {"InceptionV3 3x1, padding (1, 0)", {2, 32, 8, 8}, {32, 32, 3, 1}, 1, 1, 1, 0},
      {"3x3 / 2 without padding", {2, 16, 35, 33}, {24, 16, 3, 3}, 2, 2, 0, 0},
  };
  uint64_t seed = 300;
  for (const G& g : geos) {
    nn::ConvParams p;
    p.sh = g.sh, p.sw = g.sw, p.ph = g.ph, p.pw = g.pw;
    parity(
        g.name, [p](auto& v) { return nn::conv2d(v[0], v[1], v[2], p); },
        {R(g.x, -1, 1, seed), R(g.w, -1, 1, seed + 1), R({g.w[0]}, -1, 1, seed + 2)}, tol, eps);
    seed += 3;
  }
  parity(
      "conv_transpose2d pix2pix 4x4 / 2 / 1",
      [](auto& v) { return nn::conv_transpose2d(v[0], v[1], v[2], P(2, 1, 1)); },
      {R({2, 16, 15, 16}, -1, 1, 340), R({16, 8, 4, 4}, -1, 1, 341), R({8}, -1, 1, 342)}, tol, eps);
}

TEST_CASE("layer parity: PReLU, tanh, instance norm, ceil_mode pooling, global average pooling") {
  // PReLU: y and gx are one comparison and one multiply: exact (activation is a bit-exact twin,
  // kernels/CMakeLists.txt); only the slope gradient, a sum over 4 x 1023 values of |x gy| <= 1,
  // is added in another order (CPU: 16 float lanes then double; CUDA: per-thread float, a block
  // tree, then double): at most ~17 float roundings of partial sums of ~130 per plane, 1.3e-4;
  // typically 1e-6. Allowed: 2e-4 + 1e-5 relative.
  parity(
      "prelu per channel", [](auto& v) { return nn::prelu(v[0], v[1]); },
      {R({4, 8, 33, 31}, -1, 1, 80), R({8}, 0, 0.5f, 81)}, 2e-4, 1e-5);
  parity(
      "prelu one slope", [](auto& v) { return nn::prelu(v[0], v[1]); },
      {R({3, 5, 20, 21}, -1, 1, 82), R({1}, 0, 0.5f, 83)}, 2e-4, 1e-5);
  // tanh: 2 ulp on each side (tests/gpu/test_parity_kernels.cpp); the backward gy (1 - y)(1 + y)
  // from each side's own y moves by gy 2|y| dy: 1e-6 absolute.
  parity(
      "Tanh", [](auto& v) { return nn::Tanh()(v[0]); }, {R({2, 3, 17, 19}, -4, 4, 84)}, 2e-6, 1e-6);
  // Instance norm: the plane statistics and gradient sums (255 values per plane, 1020 per channel
  // for dgamma, dbeta) are added in different orders and y = (x - mean) scale + beta may be fused
  // by nvcc: differences of a few ulp of O(1) values, ~1e-6 of the sums; as batch norm.
  parity(
      "instance_norm2d affine", [](auto& v) { return nn::instance_norm2d(v[0], v[1], v[2]); },
      {R({4, 6, 17, 15}, -2, 3, 85), R({6}, 0.5f, 1.5f, 86), R({6}, -1, 1, 87)}, 1e-4, 1e-4);
  parity(
      "instance_norm2d", [](auto& v) { return nn::instance_norm2d(v[0], Tensor(), Tensor()); },
      {R({2, 16, 64, 64}, -2, 3, 88)}, 1e-4, 1e-4);
  // Pooling is a bit-exact twin: the same comparisons and the same adds in the same order.
  parity(
      "max_pool2d k3 s2 ceil_mode",
      [](auto& v) { return nn::max_pool2d(v[0], nn::PoolParams::square(3, 2, 0, true, true)); },
      {R({2, 4, 28, 27}, -1, 1, 89)}, 0, 0);
  parity(
      "avg_pool2d k3 s2 p1 ceil_mode",
      [](auto& v) { return nn::avg_pool2d(v[0], nn::PoolParams::square(3, 2, 1, true, true)); },
      {R({2, 4, 28, 27}, -1, 1, 90)}, 0, 0);
  parity(
      "avg_pool2d k2 ceil_mode without pad",
      [](auto& v) { return nn::avg_pool2d(v[0], nn::PoolParams::square(2, 2, 0, false, true)); },
      {R({2, 4, 15, 17}, -1, 1, 91)}, 0, 0);
  // Global average pooling is the engine's mean over the two inner axes, whose CUDA and CPU
  // reductions add in different orders: the tolerance of "mean {2,3}" in test_parity_ops.cpp.
  parity(
      "global_avg_pool2d", [](auto& v) { return nn::global_avg_pool2d(v[0]); }, {R({4, 64, 7, 7}, -1, 1, 92)}, 1e-6,
      1e-5);
}

TEST_CASE("layer kernels: PReLU and instance norm write nothing outside their outputs and repeat bit for bit") {
  const kernels::Stream S = cuda::stream();
  {
    INFO("prelu, one slope per channel");
    kernels::PreluGeom g;
    g.outer = 3, g.channels = 5, g.inner = 4097, g.per_channel = true;  // a ragged last chunk per plane
    const int64_t n = g.numel(), P = g.planes();
    const auto x = test::random_values(n, -1, 1, 100), gy = test::random_values(n, -1, 1, 101),
               a = test::random_values(5, 0, 0.5f, 102);
    std::vector<float> y(static_cast<size_t>(n)), gx(static_cast<size_t>(n)), sums(static_cast<size_t>(P + 1));
    kernels::prelu_forward_cpu(x.data(), a.data(), y.data(), g);
    kernels::prelu_backward_cpu(x.data(), a.data(), gy.data(), gx.data(), sums.data(), g);
    test::GuardedBuffer dx(x), dgy(gy), da(a), dy(n), dgx(n);
    const size_t ws_bytes = kernels::prelu_backward_workspace_bytes(g);
    std::vector<float> runs[2];
    for (auto& run : runs) {
      test::GuardedBuffer dsums(P + 1), dws(int64_t(ws_bytes / 4) + 1);
      kernels::prelu_forward_cuda(dx.data(), da.data(), dy.data(), g, S);
      cuda::check_launch("prelu_forward");
      cuda::check_launch("prelu_backward", kernels::prelu_backward_cuda(dx.data(), da.data(), dgy.data(), dgx.data(),
                                                                        dsums.data(), g, dws.data(), S));
      cuda::synchronize();
      run = dsums.download();
      dws.check_guards();
    }
    test::check_close(y, dy.download(), 0, 0, "forward");
    test::check_close(gx, dgx.download(), 0, 0, "input gradient");
    test::check_close(sums, runs[0], 2e-4, 1e-5, "slope gradient plane sums");
    CHECK(std::memcmp(runs[0].data(), runs[1].data(), runs[0].size() * 4) == 0);
  }
  {
    INFO("instance norm, affine");
    kernels::InstanceNormGeom g;
    g.N = 3, g.C = 4, g.HW = 37 * 41;
    const int64_t n = g.planes() * g.HW, P = g.planes();
    const auto x = test::random_values(n, -2, 3, 110), gy = test::random_values(n, -1, 1, 111);
    const auto gamma = test::random_values(4, 0.5f, 1.5f, 112), beta = test::random_values(4, -1, 1, 113);
    std::vector<float> y(static_cast<size_t>(n)), dxv(static_cast<size_t>(n)), mean(static_cast<size_t>(P)),
        invstd(static_cast<size_t>(P)), sums(static_cast<size_t>(2 * (P + 1)));
    kernels::instance_norm_forward_cpu(x.data(), y.data(), g, 1e-5f, gamma.data(), beta.data(), mean.data(),
                                       invstd.data());
    kernels::instance_norm_backward_cpu(x.data(), gy.data(), g, gamma.data(), mean.data(), invstd.data(), dxv.data(),
                                        sums.data());
    test::GuardedBuffer dx(x), dgy(gy), dgamma(gamma), dbeta(beta);
    const size_t ws_bytes = kernels::instance_norm_workspace_bytes(g);
    std::vector<float> runs[2];
    for (auto& run : runs) {
      test::GuardedBuffer dy(n), dmean(P), dinv(P), ddx(n), dsums(2 * (P + 1)), dws(int64_t(ws_bytes / 4) + 1);
      cuda::check_launch("instance_norm_forward",
                         kernels::instance_norm_forward_cuda(dx.data(), dy.data(), g, 1e-5f, dgamma.data(),
                                                             dbeta.data(), dmean.data(), dinv.data(), dws.data(), S));
      cuda::check_launch("instance_norm_backward",
                         kernels::instance_norm_backward_cuda(dx.data(), dgy.data(), g, dgamma.data(), dmean.data(),
                                                              dinv.data(), ddx.data(), dsums.data(), dws.data(), S));
      cuda::synchronize();
      // Tolerances of the layer parity test above.
      test::check_close(mean, dmean.download(), 1e-6, 1e-5, "mean");
      test::check_close(invstd, dinv.download(), 1e-6, 1e-5, "invstd");
      test::check_close(y, dy.download(), 1e-5, 1e-5, "forward");
      test::check_close(dxv, ddx.download(), 1e-4, 1e-4, "input gradient");
      test::check_close(sums, dsums.download(), 1e-3, 1e-4, "gradient plane sums");
      dws.check_guards();
      run = ddx.download();
      const auto s2 = dsums.download();
      run.insert(run.end(), s2.begin(), s2.end());
    }
    CHECK(std::memcmp(runs[0].data(), runs[1].data(), runs[0].size() * 4) == 0);
  }
}

TEST_CASE("cuDNN: one algorithm search per shape; deterministic mode repeats bit for bit") {
  const Tensor x = R({4, 8, 20, 20}, -1, 1, 60).cuda(), w = R({8, 8, 3, 3}, -1, 1, 61).cuda();
  Tensor xr = x.clone().detach(), wr = w.clone().detach();
  xr.requires_grad_(), wr.requires_grad_();
  sum(nn::conv2d(xr, wr, Tensor(), P(1, 1, 1))).backward();
  const size_t after_first = nn::detail::cudnn_conv_cache_size();
  sum(nn::conv2d(xr, wr, Tensor(), P(1, 1, 1))).backward();
  CHECK(nn::detail::cudnn_conv_cache_size() == after_first);  // forward, data and filter: cached
  nn::set_deterministic(true);
  std::vector<float> runs[2];
  for (auto& r : runs) {
    Tensor a = x.clone().detach(), b = w.clone().detach();
    a.requires_grad_(), b.requires_grad_();
    sum(mul(nn::conv2d(a, b, Tensor(), P(1, 1, 1)), R({4, 8, 20, 20}, -1, 1, 62).cuda())).backward();
    r = b.grad().cpu().to_vector();
  }
  nn::set_deterministic(false);
  CHECK(nn::detail::cudnn_conv_cache_size() > after_first);  // the deterministic choice has its own entries
  CHECK(std::memcmp(runs[0].data(), runs[1].data(), runs[0].size() * 4) == 0);
}

TEST_CASE("modules move to the GPU in place and give the CPU's results") {
  Generator gen(70);
  nn::Sequential net;
  net.add(std::make_shared<nn::Conv2d>(nn::Conv2dOptions(3, 8, 3).padding(1), gen));
  net.add(std::make_shared<nn::BatchNorm2d>(8));
  net.add(std::make_shared<nn::LeakyReLU>(0.1f));
  net.add(std::make_shared<nn::MaxPool2d>(2));
  const Tensor x = R({2, 3, 16, 16}, -1, 1, 71);
  net.eval();
  const std::vector<float> cpu = net(x).to_vector();
  const Tensor w = net.state_dict()[0].second;
  net.to(Device::cuda());
  CHECK(w.is_cuda());  // the same handle now holds device memory
  test::check_close(cpu, net(x.cuda()).cpu().to_vector(), 1e-4, 1e-4, "eval network");
  CHECK(test::contains(test::error_of([&] { net(x); }), "tensors on different devices"));
}
