// Conv2d and ConvTranspose2d on the CPU: a hand-worked convolution, agreement with a direct
// (six nested loops, double precision) reference over many geometries and batch sizes (which
// exercise the one-sample and batched GEMM groups of conv_cpu.h), independence of the thread
// count, the modules, and every argument error.
//
// Tolerance against the double reference: 1e-5 + 1e-5 |ref| (float32 GEMM sums of at most
// ~100 O(1) terms round to ~1e-6).
#include <doctest/doctest.h>
#include <omp.h>

#include <cstring>

#include "core/autograd.h"
#include "core/ops.h"
#include "layers/conv_cpu.h"
#include "layers/conv_onednn.h"
#include "layers/layers.h"
#include "tests/test_util.h"

using namespace fbd;

namespace {

struct Geo {
  int64_t N, C, H, W, K, kh, kw;
  nn::ConvParams p;
};

using nn::detail::CpuConvAlgo;

// fbd's three, and oneDNN where the build has it (layers/conv_onednn.h).
std::vector<CpuConvAlgo> cpu_algos() {
  std::vector<CpuConvAlgo> a{CpuConvAlgo::Auto, CpuConvAlgo::Gemm, CpuConvAlgo::Direct};
  if (!nn::detail::onednn_version().empty()) a.push_back(CpuConvAlgo::OneDnn);
  return a;
}

// Puts back the algorithm the test started with.
struct AlgoRestore {
  CpuConvAlgo saved = nn::detail::cpu_conv_algo();
  ~AlgoRestore() { nn::detail::set_cpu_conv_algo(saved); }
};

// Direct convolution and its gradients in double.
struct Ref {
  std::vector<double> y, dx, dw, db;
};

Ref reference_conv(const Geo& g, const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>& b,
                   const std::vector<float>& gy, int64_t Ho, int64_t Wo) {
  Ref r;
  r.y.assign(size_t(g.N * g.K * Ho * Wo), 0.0);
  r.dx.assign(x.size(), 0.0);
  r.dw.assign(w.size(), 0.0);
  r.db.assign(size_t(g.K), 0.0);
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t k = 0; k < g.K; ++k)
      for (int64_t oh = 0; oh < Ho; ++oh)
        for (int64_t ow = 0; ow < Wo; ++ow) {
          const size_t yi = size_t(((n * g.K + k) * Ho + oh) * Wo + ow);
          double acc = b.empty() ? 0.0 : b[size_t(k)];
          for (int64_t c = 0; c < g.C; ++c)
            for (int64_t ky = 0; ky < g.kh; ++ky)
              for (int64_t kx = 0; kx < g.kw; ++kx) {
                const int64_t ih = oh * g.p.sh - g.p.ph + ky * g.p.dh, iw = ow * g.p.sw - g.p.pw + kx * g.p.dw;
                if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                const size_t xi = size_t(((n * g.C + c) * g.H + ih) * g.W + iw);
                const size_t wi = size_t(((k * g.C + c) * g.kh + ky) * g.kw + kx);
                acc += double(w[wi]) * x[xi];
                r.dx[xi] += double(w[wi]) * gy[yi];
                r.dw[wi] += double(x[xi]) * gy[yi];
              }
          r.y[yi] = acc;
          r.db[size_t(k)] += gy[yi];
        }
  return r;
}

std::vector<float> to_float(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }

void check_against_reference(const Geo& g, uint64_t seed) {
  CAPTURE(g.N);
  CAPTURE(g.C);
  CAPTURE(g.H);
  CAPTURE(g.W);
  CAPTURE(g.K);
  CAPTURE(g.kh);
  CAPTURE(g.kw);
  Tensor x = test::random_tensor({g.N, g.C, g.H, g.W}, -1, 1, seed);
  Tensor w = test::random_tensor({g.K, g.C, g.kh, g.kw}, -1, 1, seed + 1);
  Tensor b = test::random_tensor({g.K}, -1, 1, seed + 2);
  x.requires_grad_(), w.requires_grad_(), b.requires_grad_();
  Tensor y = nn::conv2d(x, w, b, g.p);
  const int64_t Ho = y.shape()[2], Wo = y.shape()[3];
  const Tensor gy = test::random_tensor(y.shape(), -1, 1, seed + 3);
  y.backward(gy);
  const Ref r = reference_conv(g, x.to_vector(), w.to_vector(), b.to_vector(), gy.to_vector(), Ho, Wo);
  test::check_close(to_float(r.y), y.to_vector(), 1e-5, 1e-5, "forward");
  test::check_close(to_float(r.dx), x.grad().to_vector(), 1e-5, 1e-5, "input gradient");
  test::check_close(to_float(r.dw), w.grad().to_vector(), 1e-5, 1e-5, "weight gradient");
  test::check_close(to_float(r.db), b.grad().to_vector(), 1e-5, 1e-5, "bias gradient");
}

nn::ConvParams P(int64_t s, int64_t pad, int64_t d) {
  nn::ConvParams p;
  p.sh = p.sw = s, p.ph = p.pw = pad, p.dh = p.dw = d;
  return p;
}

// Stride and padding per axis, dilation 1.
nn::ConvParams P2(int64_t sh, int64_t sw, int64_t ph, int64_t pw) {
  nn::ConvParams p;
  p.sh = sh, p.sw = sw, p.ph = ph, p.pw = pw;
  return p;
}

// ConvTranspose2d against the same double reference: convT(x) with weight [Cin, Cout, kh, kw] is
// the input gradient of the convolution from Cout to Cin channels with that weight, so running
// reference_conv on (x_conv = the transposed conv's output gradient, gy_conv = its input) gives
// its output (dx), its input gradient (y) and its weight gradient (dw).
void check_transposed_against_reference(int64_t N, int64_t Cin, int64_t Cout, int64_t H, int64_t W, int64_t kh,
                                        int64_t kw, nn::ConvParams p, uint64_t seed) {
  CAPTURE(kh);
  CAPTURE(kw);
  Tensor x = test::random_tensor({N, Cin, H, W}, -1, 1, seed);
  Tensor w = test::random_tensor({Cin, Cout, kh, kw}, -1, 1, seed + 1);
  Tensor b = test::random_tensor({Cout}, -1, 1, seed + 2);
  x.requires_grad_(), w.requires_grad_(), b.requires_grad_();
  Tensor y = nn::conv_transpose2d(x, w, b, p);
  const int64_t Ho = y.shape()[2], Wo = y.shape()[3];
  const Tensor gy = test::random_tensor(y.shape(), -1, 1, seed + 3);
  y.backward(gy);
  const Geo g{N, Cout, Ho, Wo, Cin, kh, kw, p};
  const Ref r = reference_conv(g, gy.to_vector(), w.to_vector(), {}, x.to_vector(), H, W);
  std::vector<double> want_y = r.dx;
  const auto bv = b.to_vector();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < Cout; ++c)
      for (int64_t i = 0; i < Ho * Wo; ++i) want_y[size_t((n * Cout + c) * Ho * Wo + i)] += bv[size_t(c)];
  std::vector<double> want_db(size_t(Cout), 0.0);
  const auto gv = gy.to_vector();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < Cout; ++c)
      for (int64_t i = 0; i < Ho * Wo; ++i) want_db[size_t(c)] += gv[size_t((n * Cout + c) * Ho * Wo + i)];
  test::check_close(to_float(want_y), y.to_vector(), 1e-5, 1e-5, "transposed forward");
  test::check_close(to_float(r.y), x.grad().to_vector(), 1e-5, 1e-5, "transposed input gradient");
  test::check_close(to_float(r.dw), w.grad().to_vector(), 1e-5, 1e-5, "transposed weight gradient");
  test::check_close(to_float(want_db), b.grad().to_vector(), 1e-5, 1e-5, "transposed bias gradient");
}

}  // namespace

TEST_CASE("conv2d: a hand-worked example") {
  // x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,2],[3,4]], b = 0.5.
  const Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  const Tensor w = Tensor::from_vector({1, 2, 3, 4}, {1, 1, 2, 2});
  const Tensor b = Tensor::from_vector({0.5f}, {1});
  // Valid: y[i][j] = x[i][j] + 2 x[i][j+1] + 3 x[i+1][j] + 4 x[i+1][j+1] + 0.5.
  CHECK(nn::conv2d(x, w, b).to_vector() == std::vector<float>{37.5f, 47.5f, 67.5f, 77.5f});
  // Stride 2, padding 1: the windows start at (-1,-1), (-1,1), (1,-1), (1,1).
  //   (0,0): 4*x[0][0] = 4;  (0,1): 3*x[0][1] + 4*x[0][2] = 18;
  //   (1,0): 2*x[1][0] + 4*x[2][0] = 36;  (1,1): x[1][1] + 2 x[1][2] + 3 x[2][1] + 4 x[2][2] = 77.
  CHECK(nn::conv2d(x, w, Tensor(), P(2, 1, 1)).to_vector() == std::vector<float>{4, 18, 36, 77});
  // Dilation 2 on a 3x3 input: one output, the corners: 1 + 2*3 + 3*7 + 4*9 = 64.
  CHECK(nn::conv2d(x, w, Tensor(), P(1, 0, 2)).to_vector() == std::vector<float>{64});
}

TEST_CASE("conv2d: matches a direct reference over geometries and batch sizes, with either CPU algorithm") {
  AlgoRestore restore;
  for (CpuConvAlgo algo : cpu_algos()) {
    CAPTURE(int(algo));
    nn::detail::set_cpu_conv_algo(algo);
    uint64_t seed = 100;
    // One sample per group (planes of 32x32 and more), several (small planes), and odd sizes.
    const std::vector<Geo> geos = {
        {2, 3, 33, 32, 4, 3, 3, P(1, 1, 1)},
        {1, 2, 8, 8, 3, 3, 3, P(1, 1, 1)},
        {7, 3, 6, 5, 2, 3, 3, P(1, 1, 1)},
        {5, 4, 9, 9, 3, 3, 3, P(2, 1, 1)},
        {3, 2, 10, 11, 3, 3, 2, P(1, 2, 2)},
        {4, 5, 4, 4, 6, 1, 1, P(1, 0, 1)},
        {2, 5, 40, 33, 3, 1, 1, P(1, 0, 1)},
        {3, 3, 7, 7, 2, 5, 5, P(1, 2, 1)},
        {2, 2, 5, 5, 2, 3, 3, P(3, 0, 1)},
        {40, 2, 3, 3, 2, 3, 3, P(1, 1, 1)},  // 40 samples of 3x3: groups of 114 -> one batched group
        // Direct-kernel shapes: widths of 16, 32+16+partial, odd; K not a multiple of 8; C = 1;
        // padding 0 and 2; several row blocks.
        {2, 3, 18, 16, 5, 3, 3, P(1, 1, 1)},
        {3, 1, 9, 53, 11, 3, 3, P(1, 1, 1)},
        {2, 4, 20, 18, 8, 3, 3, P(1, 0, 1)},
        {2, 5, 17, 19, 9, 3, 3, P(1, 2, 1)},
        {1, 17, 6, 40, 16, 3, 3, P(1, 1, 1)},
    };
    for (const Geo& g : geos) check_against_reference(g, seed += 10);
    Geo g{3, 2, 9, 8, 3, 3, 2, P(1, 0, 1)};
    g.p.sh = 2, g.p.sw = 1, g.p.ph = 1, g.p.pw = 2, g.p.dh = 1, g.p.dw = 3;  // every axis differs
    check_against_reference(g, seed += 10);
    Geo h{2, 3, 12, 20, 4, 3, 3, P(1, 1, 1)};
    h.p.ph = 2, h.p.pw = 0;  // different padding per axis on the direct path
    check_against_reference(h, seed += 10);
  }
}

TEST_CASE("conv2d: the geometries of the comparison networks and classifiers, with either CPU algorithm") {
  // AlexNet 11x11 / 4 / 2; ResNet 7x7 / 2 / 3 and 1x1 / 2 (downsampling shortcut); V-Net 5x5 / 1 / 2
  // and 2x2 / 2; pix2pix 4x4 / 2 / 1; InceptionV3's factorised 1x7, 7x1, 1x3, 3x1 with padding on
  // one axis only, and its 3x3 / 2 without padding; 1x1. Odd sizes, so the last windows are partial.
  AlgoRestore restore;
  for (CpuConvAlgo algo : cpu_algos()) {
    CAPTURE(int(algo));
    nn::detail::set_cpu_conv_algo(algo);
    uint64_t seed = 500;
    const std::vector<Geo> geos = {
        {2, 3, 35, 39, 4, 11, 11, P(4, 2, 1)},    // AlexNet conv1: Ho = (35 + 4 - 11) / 4 + 1 = 8
        {2, 3, 21, 18, 4, 7, 7, P(2, 3, 1)},      // ResNet stem
        {3, 8, 9, 9, 5, 1, 1, P(2, 0, 1)},        // ResNet 1x1 stride-2 shortcut
        {2, 4, 13, 12, 3, 5, 5, P(1, 2, 1)},      // V-Net 5x5
        {2, 4, 12, 11, 6, 2, 2, P(2, 0, 1)},      // V-Net down: 2x2 / 2 (odd width: the last column is dropped)
        {2, 3, 16, 14, 4, 4, 4, P(2, 1, 1)},      // pix2pix down: 4x4 / 2 / 1
        {2, 4, 9, 10, 5, 1, 7, P2(1, 1, 0, 3)},   // InceptionV3 1x7, padding (0, 3)
        {2, 4, 10, 9, 5, 7, 1, P2(1, 1, 3, 0)},   // 7x1, padding (3, 0)
        {2, 6, 8, 7, 4, 1, 3, P2(1, 1, 0, 1)},    // 1x3, padding (0, 1)
        {2, 6, 7, 8, 4, 3, 1, P2(1, 1, 1, 0)},    // 3x1, padding (1, 0)
        {2, 3, 17, 16, 4, 3, 3, P(2, 0, 1)},      // 3x3 / 2, no padding (InceptionV3's reductions)
        {3, 7, 6, 5, 9, 1, 1, P(1, 0, 1)},        // 1x1
        {1, 4, 36, 34, 8, 3, 1, P2(1, 1, 1, 0)},  // 3x1 on a 36x34 map: one sample per GEMM group
    };
    for (const Geo& g : geos) check_against_reference(g, seed += 10);
  }
  // The modules with per-axis kernels and padding (Conv2dOptions::kernel_size, padding(h, w)).
  Generator gen(3);
  nn::Conv2d c17(nn::Conv2dOptions(4, 6, 1).kernel_size(1, 7).padding(0, 3).bias(false), gen);
  CHECK(c17.weight().shape() == Shape{6, 4, 1, 7});
  CHECK(c17(Tensor::zeros({2, 4, 17, 17})).shape() == Shape{2, 6, 17, 17});
  nn::Conv2d alex(nn::Conv2dOptions(3, 8, 11).stride(4).padding(2), gen);
  CHECK(alex(Tensor::zeros({1, 3, 224, 224})).shape() == Shape{1, 8, 55, 55});
  nn::Conv2d stem(nn::Conv2dOptions(3, 8, 7).stride(2).padding(3), gen);
  CHECK(stem(Tensor::zeros({1, 3, 224, 224})).shape() == Shape{1, 8, 112, 112});
  nn::ConvTranspose2d up(nn::Conv2dOptions(8, 4, 4).stride(2).padding(1), gen);
  CHECK(up(Tensor::zeros({1, 8, 16, 16})).shape() == Shape{1, 4, 32, 32});
}

TEST_CASE("conv_transpose2d: pix2pix's 4x4 / 2 / 1 upsampling and V-Net's 2x2 / 2, against the double reference") {
  check_transposed_against_reference(2, 6, 4, 7, 6, 4, 4, P(2, 1, 1), 600);  // 7x6 -> 14x12
  check_transposed_against_reference(2, 5, 3, 5, 4, 2, 2, P(2, 0, 1), 610);  // 5x4 -> 10x8
  nn::ConvParams q = P(2, 1, 1);
  q.oph = 1, q.opw = 0;
  check_transposed_against_reference(1, 3, 2, 4, 5, 3, 3, q, 620);  // output padding on one axis
}

TEST_CASE("conv2d: the oneDNN backend runs where built, with negative right padding, and repeats its bits") {
  if (nn::detail::onednn_version().empty()) {
    MESSAGE("SKIPPED: fbd was built without oneDNN (libdnnl-dev): its backend is not tested");
    return;
  }
  AlgoRestore restore;
  nn::detail::set_cpu_conv_algo(CpuConvAlgo::OneDnn);
  CHECK(nn::detail::cpu_conv_backend().rfind("oneDNN ", 0) == 0);
  // A geometry no other test uses: oneDNN creates its primitives (forward, then backward).
  const int64_t before = nn::detail::onednn_cached_primitives();
  const Geo g{3, 6, 13, 11, 7, 3, 3, P(1, 1, 1)};
  check_against_reference(g, 900);
  CHECK(nn::detail::onednn_cached_primitives() == before + 2);
  check_against_reference(g, 910);  // the same geometry again: the cached primitives
  CHECK(nn::detail::onednn_cached_primitives() == before + 2);
  // Windows that leave the last column or row unread (PyTorch's floor): a negative right padding
  // for oneDNN. A 2x2 / 2 over an odd width, a 1x1 / 2 shortcut over an even size, and 3x3 / 2
  // without padding over an even size.
  const int64_t cached = nn::detail::onednn_cached_primitives();
  check_against_reference({2, 4, 12, 13, 6, 2, 2, P(2, 0, 1)}, 920);
  check_against_reference({2, 8, 10, 10, 5, 1, 1, P(2, 0, 1)}, 921);
  check_against_reference({2, 3, 16, 14, 4, 3, 3, P(2, 0, 1)}, 922);
  CHECK(nn::detail::onednn_cached_primitives() == cached + 6);
  // The transposed convolution goes through the same backend.
  check_transposed_against_reference(2, 6, 4, 7, 6, 4, 4, P(2, 1, 1), 930);
  // Same inputs, same thread count: the same bits.
  const Tensor x = test::random_tensor({4, 16, 12, 12}, -1, 1, 1), w = test::random_tensor({8, 16, 3, 3}, -1, 1, 2);
  std::vector<std::vector<float>> runs;
  for (int r = 0; r < 2; ++r) {
    Tensor xr = x.clone().detach(), wr = w.clone().detach();
    xr.requires_grad_(), wr.requires_grad_();
    Tensor y = nn::conv2d(xr, wr, Tensor(), P(1, 1, 1));
    sum(mul(y, y)).backward();
    std::vector<float> all = y.to_vector();
    for (const Tensor& t : {xr.grad(), wr.grad()}) {
      const auto v = t.to_vector();
      all.insert(all.end(), v.begin(), v.end());
    }
    runs.push_back(all);
  }
  CHECK(std::memcmp(runs[0].data(), runs[1].data(), runs[0].size() * 4) == 0);
}

TEST_CASE("conv2d: group sizes follow the plane size") {
  CHECK(nn::detail::conv_group_size(16, 96 * 96) == 1);
  CHECK(nn::detail::conv_group_size(16, 32 * 32) == 1);
  CHECK(nn::detail::conv_group_size(16, 12 * 12) == 8);
  CHECK(nn::detail::conv_group_size(16, 6 * 6) == 16);
  CHECK(nn::detail::conv_group_size(1, 6 * 6) == 1);
}

TEST_CASE("conv2d and conv_transpose2d: results do not depend on the number of threads") {
  AlgoRestore restore;
  nn::detail::set_cpu_conv_algo(CpuConvAlgo::Auto);  // fbd's own kernels (oneDNN does not promise this)
  const int saved = omp_get_max_threads();
  // Direct kernels (24 and 40 wide), batched GEMM groups (6x6), a split GEMM (the transposed conv).
  for (const Shape& xs : {Shape{4, 8, 24, 24}, Shape{16, 16, 6, 6}, Shape{1, 16, 40, 40}, Shape{3, 5, 33, 47}}) {
    CAPTURE(shape_str(xs));
    const Tensor x = test::random_tensor(xs, -1, 1, 1);
    const Tensor w = test::random_tensor({12, xs[1], 3, 3}, -1, 1, 2);
    const Tensor wt = test::random_tensor({xs[1], 6, 3, 3}, -1, 1, 3);
    std::vector<std::vector<float>> runs;
    for (int threads : {1, 2, 3}) {
      omp_set_num_threads(threads);
      Tensor xr = x.clone().detach(), wr = w.clone().detach(), wtr = wt.clone().detach();
      xr.requires_grad_(), wr.requires_grad_(), wtr.requires_grad_();
      Tensor y = nn::conv2d(xr, wr, Tensor(), P(1, 1, 1));
      nn::ConvParams pt = P(2, 1, 1);
      pt.oph = pt.opw = 1;
      Tensor yt = nn::conv_transpose2d(xr, wtr, Tensor(), pt);
      (sum(mul(y, y)) + sum(mul(yt, yt))).backward();
      std::vector<float> all = y.to_vector();
      for (const Tensor& t : {yt, xr.grad(), wr.grad(), wtr.grad()}) {
        const auto v = t.to_vector();
        all.insert(all.end(), v.begin(), v.end());
      }
      runs.push_back(all);
    }
    omp_set_num_threads(saved);
    CHECK(std::memcmp(runs[0].data(), runs[1].data(), runs[0].size() * 4) == 0);
    CHECK(std::memcmp(runs[0].data(), runs[2].data(), runs[0].size() * 4) == 0);
  }
}

TEST_CASE("conv_transpose2d: is the adjoint of conv2d and has PyTorch's output size") {
  // <conv(a), b> = <a, convT(b)> for the same weight, stride, padding and dilation.
  for (const auto& [p, H, W] :
       {std::tuple{P(2, 1, 1), int64_t(9), int64_t(8)}, std::tuple{P(1, 2, 2), int64_t(7), int64_t(7)}}) {
    const Tensor a = test::random_tensor({2, 3, H, W}, -1, 1, 5);
    const Tensor w = test::random_tensor({4, 3, 3, 3}, -1, 1, 6);
    const Tensor ca = nn::conv2d(a, w, Tensor(), p);
    const Tensor b = test::random_tensor(ca.shape(), -1, 1, 7);
    nn::ConvParams pt = p;
    const int64_t Ho = ca.shape()[2];
    // Pick the output padding that gives back H exactly.
    pt.oph = H - ((Ho - 1) * p.sh - 2 * p.ph + p.dh * 2 + 1);
    pt.opw = W - ((ca.shape()[3] - 1) * p.sw - 2 * p.pw + p.dw * 2 + 1);
    const Tensor tb = nn::conv_transpose2d(b, w, Tensor(), pt);
    REQUIRE(tb.shape() == a.shape());
    const double lhs = sum(mul(ca, b)).item(), rhs = sum(mul(a, tb)).item();
    CHECK(std::fabs(lhs - rhs) <= 1e-4 * (1 + std::fabs(lhs)));
  }
  // Output size: (H - 1) s - 2p + d (k - 1) + op + 1.
  const Tensor x = Tensor::zeros({1, 2, 5, 4});
  nn::ConvParams p = P(2, 1, 1);
  p.oph = 1, p.opw = 0;
  CHECK(nn::conv_transpose2d(x, Tensor::zeros({2, 3, 3, 3}), Tensor(), p).shape() == Shape{1, 3, 10, 7});
}

TEST_CASE("Conv2d and ConvTranspose2d modules: parameters, PyTorch's default init bounds, forward") {
  Generator gen(5);
  nn::Conv2d conv(nn::Conv2dOptions(3, 8, 3).padding(1), gen);
  const auto named = conv.named_parameters();
  REQUIRE(named.size() == 2);
  CHECK(named[0].first == "weight");
  CHECK(named[0].second.shape() == Shape{8, 3, 3, 3});
  CHECK(named[1].first == "bias");
  const float bound = 1.0f / std::sqrt(27.0f);  // 1/sqrt(fan_in), fan_in = 3*3*3
  for (float v : conv.weight().to_vector()) CHECK(std::fabs(v) <= bound);
  for (float v : conv.bias().to_vector()) CHECK(std::fabs(v) <= bound);
  CHECK(conv(Tensor::zeros({2, 3, 5, 5})).shape() == Shape{2, 8, 5, 5});
  nn::Conv2d nobias(nn::Conv2dOptions(3, 8, 1).bias(false), gen);
  CHECK(nobias.named_parameters().size() == 1);
  nn::ConvTranspose2d up(nn::Conv2dOptions(8, 4, 2).stride(2), gen);
  CHECK(up.weight().shape() == Shape{8, 4, 2, 2});
  const float tbound = 1.0f / std::sqrt(16.0f);  // PyTorch: fan_in from dim 1 (4) * 2*2
  for (float v : up.weight().to_vector()) CHECK(std::fabs(v) <= tbound);
  CHECK(up(Tensor::zeros({1, 8, 3, 5})).shape() == Shape{1, 4, 6, 10});
  // Same seed, same weights.
  Generator g1(11), g2(11);
  nn::Conv2d c1(nn::Conv2dOptions(2, 2, 3), g1), c2(nn::Conv2dOptions(2, 2, 3), g2);
  CHECK(c1.weight().to_vector() == c2.weight().to_vector());
}

TEST_CASE("conv2d and conv_transpose2d: bad arguments give one-line errors") {
  const Tensor x = Tensor::zeros({2, 3, 8, 8}), w = Tensor::zeros({4, 3, 3, 3});
  using test::contains;
  using test::error_of;
  CHECK(contains(error_of([&] {
                   nn::conv2d(x, Tensor::zeros({4, 2, 3, 3}), Tensor());
                 }),
                 "conv2d: input has 3 channels but the weight [4, 2, 3, 3] expects 2"));
  CHECK(contains(error_of([&] {
                   nn::conv2d(Tensor::zeros({3, 8, 8}), w, Tensor());
                 }),
                 "conv2d: expected input [N, C, H, W], got shape [3, 8, 8]"));
  CHECK(contains(error_of([&] { nn::conv2d(x, w, Tensor::zeros({3})); }), "conv2d: bias must have shape [4], got [3]"));
  CHECK(contains(error_of([&] {
                   nn::conv2d(x, Tensor::zeros({4, 3, 9, 9}), Tensor());
                 }),
                 "conv2d: input height 8 (8 with padding) is smaller than the 9-wide dilated kernel"));
  nn::ConvParams p;
  p.sh = 0;
  CHECK(contains(error_of([&] { nn::conv2d(x, w, Tensor(), p); }), "conv2d: stride must be >= 1"));
  p = {};
  p.ph = -1;
  CHECK(contains(error_of([&] { nn::conv2d(x, w, Tensor(), p); }), "conv2d: padding must be >= 0"));
  CHECK(contains(error_of([&] {
                   nn::conv2d(Tensor::zeros({2, 3, 8, 8}, DType::U8), w, Tensor());
                 }),
                 "conv2d: expected a float32 tensor, got uint8"));
  nn::ConvParams q;
  q.sh = q.sw = 2, q.oph = 2;
  CHECK(contains(error_of([&] {
                   nn::conv_transpose2d(x, Tensor::zeros({3, 2, 3, 3}), Tensor(), q);
                 }),
                 "conv_transpose2d: output padding (2x0) must be >= 0 and smaller than the stride (2x2)"));
  CHECK(contains(error_of([&] {
                   nn::conv_transpose2d(x, Tensor::zeros({4, 2, 3, 3}), Tensor());
                 }),
                 "conv_transpose2d: input has 3 channels but the weight [4, 2, 3, 3] expects 4"));
  CHECK(contains(error_of([] { nn::Conv2d(nn::Conv2dOptions(0, 4, 3)); }), "Conv2d: channels (0 -> 4)"));
}
