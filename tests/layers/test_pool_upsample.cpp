// Pooling and bilinear upsampling on the CPU beyond the PyTorch goldens: hand-worked values,
// padding and NaN behaviour, ceil_mode's output sizes against PyTorch's and its partial last
// windows, global average pooling, the 31x31 structure-loss window against a direct sum, the
// CPU's 2x2 average-pooling fast path against pool.cuh's per-element math bit for bit, modules
// and errors.
#include <doctest/doctest.h>
#include <omp.h>

#include <array>
#include <cmath>
#include <cstring>

#include "core/npy.h"
#include "core/ops.h"
#include "kernels/pool.cuh"
#include "layers/layers.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;
using test::contains;
using test::error_of;

TEST_CASE("max_pool2d: values, argmax gradient, padding as -inf, NaN propagation") {
  Tensor x = Tensor::from_vector({1, 5, 2, 0, 3, 4, -1, 8, 7, 6, 9, 2, 0, 1, 3, 4}, {1, 1, 4, 4});
  x.requires_grad_();
  const Tensor y = nn::max_pool2d(x, nn::PoolParams::square(2));
  CHECK(y.to_vector() == std::vector<float>{5, 8, 7, 9});
  y.backward(Tensor::from_vector({1, 2, 3, 4}, {1, 1, 2, 2}));
  CHECK(x.grad().to_vector() == std::vector<float>{0, 1, 0, 0, 0, 0, 0, 2, 3, 0, 4, 0, 0, 0, 0, 0});
  // Padding never wins, even against negative values.
  const Tensor neg = Tensor::full({1, 1, 2, 2}, -5.0f);
  CHECK(nn::max_pool2d(neg, nn::PoolParams::square(3, 1, 1)).to_vector() == std::vector<float>{-5, -5, -5, -5});
  const Tensor nan = Tensor::from_vector({1, NAN, 2, 3}, {1, 1, 2, 2});
  CHECK(std::isnan(nn::max_pool2d(nan, nn::PoolParams::square(2)).item()));
}

TEST_CASE("avg_pool2d: count_include_pad both ways on a hand-worked corner") {
  const Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
  // 3x3 window, stride 1, pad 1. Top-left output: (1+2+4+5) / 9 with padding counted, / 4 without.
  const auto with = nn::avg_pool2d(x, nn::PoolParams::square(3, 1, 1, true)).to_vector();
  const auto without = nn::avg_pool2d(x, nn::PoolParams::square(3, 1, 1, false)).to_vector();
  CHECK(with[0] == doctest::Approx(12.0 / 9));
  CHECK(without[0] == doctest::Approx(3.0));
  CHECK(with[4] == doctest::Approx(5.0));
  CHECK(without[4] == doctest::Approx(5.0));
}

TEST_CASE("ceil_mode: output sizes are PyTorch's, every last window starts inside the image or its padding") {
  // Rows of (in, kernel, stride, padding, ceil_mode, PyTorch's output size), from
  // tests/reference/make_layer_fixtures.py.
  const std::vector<float> rows = read_npy(test::fixture("layers/pool_sizes.npy")).to_vector();
  REQUIRE(rows.size() % 6 == 0);
  for (size_t r = 0; r < rows.size(); r += 6) {
    const auto v = [&](size_t k) { return int64_t(rows[r + k]); };
    CAPTURE(v(0));
    CAPTURE(v(1));
    CAPTURE(v(2));
    CAPTURE(v(3));
    CAPTURE(v(4));
    CHECK(nn::pool_out_size(v(0), v(1), v(2), v(3), v(4) != 0) == v(5));
  }
  // By hand: 5 wide, kernel 2, stride 2: floor gives 2 windows, ceil 3 (the last holds one column).
  CHECK(nn::pool_out_size(5, 2, 2, 0, false) == 2);
  CHECK(nn::pool_out_size(5, 2, 2, 0, true) == 3);
  // Kernel 1, stride 3 over 5: ceil(4 / 3) + 1 = 3 windows would start at 0, 3, 6; 6 is past the
  // image, so PyTorch drops it.
  CHECK(nn::pool_out_size(5, 1, 3, 0, true) == 2);
}

TEST_CASE("ceil_mode: the partial last windows of max and average pooling") {
  // 1 x 1 x 3 x 5, kernel 2, stride 2, ceil: 2 x 3 outputs; the last row and column of windows
  // hold what is left of the image.
  Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {1, 1, 3, 5});
  x.requires_grad_();
  const Tensor mx = nn::max_pool2d(x, nn::PoolParams::square(2, 2, 0, true, true));
  CHECK(mx.shape() == Shape{1, 1, 2, 3});
  CHECK(mx.to_vector() == std::vector<float>{7, 9, 10, 12, 14, 15});
  mx.backward(Tensor::ones(mx.shape()));
  CHECK(x.grad().to_vector() == std::vector<float>{0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1});
  // Average: without padding the window is clipped to the image for the divisor too, so the
  // last column averages 2 values, the corner 1, whether padding is counted or not.
  for (bool cip : {true, false}) {
    const auto av = nn::avg_pool2d(x.detach(), nn::PoolParams::square(2, 2, 0, cip, true)).to_vector();
    CHECK(av == std::vector<float>{4, 6, 7.5f, 11.5f, 13.5f, 15});
  }
  // With padding 1 (kernel 3, stride 2) over 4 rows: floor gives 2 windows, ceil 3; the third
  // starts at row 3 and runs to row 5, one row past the bottom padding; counting padding, its
  // divisor is the window clipped to the padded image: 2 rows (3 and the padding row 4), and
  // the last column of windows likewise 2 columns.
  const Tensor ones = Tensor::ones({1, 1, 4, 4});
  const auto pad = nn::avg_pool2d(ones, nn::PoolParams::square(3, 2, 1, true, true)).to_vector();
  REQUIRE(pad.size() == 9);
  CHECK(pad[0] == doctest::Approx(4.0 / 9));  // rows -1..1 x cols -1..1: 4 of the 9 cells are in the image
  CHECK(pad[8] == doctest::Approx(1.0 / 4));  // rows 3..4 x cols 3..4 (clipped): 1 cell in the image, 4 counted
  CHECK(pad[2] == doctest::Approx(2.0 / 6));  // rows -1..1 x cols 3..4: 2 cells in the image, 6 counted
  CHECK(nn::MaxPool2d(3, 2, 0, true)(Tensor::zeros({1, 1, 8, 8})).shape() == Shape{1, 1, 4, 4});
  CHECK(nn::AvgPool2d(3, 2, 0, true, true)(Tensor::zeros({1, 1, 8, 8})).shape() == Shape{1, 1, 4, 4});
}

TEST_CASE("global_avg_pool2d: the mean of each plane, its gradient 1 / (H W), the module") {
  Tensor x = test::random_tensor({2, 3, 5, 7}, -1, 1, 9);
  x.requires_grad_();
  const Tensor y = nn::global_avg_pool2d(x);
  CHECK(y.shape() == Shape{2, 3, 1, 1});
  const auto xv = x.to_vector(), yv = y.to_vector();
  for (int64_t p = 0; p < 6; ++p) {
    double s = 0;
    for (int64_t i = 0; i < 35; ++i) s += xv[size_t(p * 35 + i)];
    CHECK(yv[size_t(p)] == doctest::Approx(s / 35).epsilon(1e-6));
  }
  y.backward(Tensor::ones(y.shape()));
  for (float g : x.grad().to_vector()) CHECK(g == doctest::Approx(1.0 / 35).epsilon(1e-6));
  CHECK(nn::GlobalAvgPool2d()(Tensor::ones({4, 8, 1, 1})).to_vector() == std::vector<float>(32, 1.0f));
  CHECK(contains(error_of([] {
                   nn::global_avg_pool2d(Tensor::zeros({3, 5, 5}));
                 }),
                 "global_avg_pool2d: expected input [N, C, H, W], got shape [3, 5, 5]"));
}

TEST_CASE("avg_pool2d: the structure loss's 31x31 / stride 1 / pad 15 window equals a direct sum / 961") {
  const Tensor x = test::random_tensor({2, 1, 37, 45}, 0, 1, 3);
  const auto y = nn::avg_pool2d(x, nn::PoolParams::square(31, 1, 15, true)).to_vector();
  const auto xv = x.to_vector();
  REQUIRE(y.size() == xv.size());
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t h = 0; h < 37; h += 6)
      for (int64_t w = 0; w < 45; w += 7) {
        double s = 0;
        for (int64_t i = h - 15; i <= h + 15; ++i)
          for (int64_t j = w - 15; j <= w + 15; ++j)
            if (i >= 0 && i < 37 && j >= 0 && j < 45) s += xv[size_t((n * 37 + i) * 45 + j)];
        CHECK(y[size_t((n * 37 + h) * 45 + w)] == doctest::Approx(s / 961.0).epsilon(1e-5));
      }
}

TEST_CASE("avg_pool2d 2x2: the CPU fast path is pool.cuh's math bit for bit, for any thread count") {
  // pool.cuh's per-element functions (the CUDA kernels' math, the general CPU path's too) as the
  // reference, on even and odd sizes (odd: a last row or column no window covers), with signed
  // zeros (0 + -0 is +0 in the general path's sums), NaN and infinities, both divisors.
  const int saved = omp_get_max_threads();
  for (const std::array<int64_t, 4>& shape : {std::array<int64_t, 4>{2, 3, 8, 10}, {1, 2, 7, 9}, {4, 16, 96, 96}}) {
    const int64_t N = shape[0], C = shape[1], H = shape[2], W = shape[3];
    for (bool cip : {true, false}) {
      Tensor x = test::random_tensor({N, C, H, W}, -2, 2, 11);
      float* xv = x.data<float>();
      xv[0] = xv[1] = xv[W] = xv[W + 1] = -0.0f;  // a window of four -0
      xv[2] = NAN, xv[3 * W + 4] = INFINITY, xv[3 * W + 5] = -INFINITY;
      const nn::PoolParams p = nn::PoolParams::square(2, 2, 0, cip);
      kernels::PoolGeom g;
      g.planes = N * C, g.H = H, g.W = W, g.Ho = H / 2, g.Wo = W / 2, g.kh = g.kw = g.sh = g.sw = 2;
      const Tensor gy = test::random_tensor({N, C, g.Ho, g.Wo}, -1, 1, 12);
      gy.data<float>()[1] = -0.0f;
      std::vector<float> y_ref(size_t(g.planes * g.Ho * g.Wo)), gx_ref(size_t(x.numel()));
      std::vector<float> t(size_t(H * g.Wo)), u(size_t(H * g.Wo));
      for (int64_t pl = 0; pl < g.planes; ++pl) {
        const float* xp = xv + pl * H * W;
        const float* gp = gy.data<float>() + pl * g.Ho * g.Wo;
        for (int64_t h = 0; h < H; ++h)
          for (int64_t ow = 0; ow < g.Wo; ++ow) {
            t[size_t(h * g.Wo + ow)] = kernels::avg_row_sum(xp, h, ow, g);
            u[size_t(h * g.Wo + ow)] = kernels::avg_grad_col(gp, h, ow, g, cip);
          }
        for (int64_t oh = 0; oh < g.Ho; ++oh)
          for (int64_t ow = 0; ow < g.Wo; ++ow)
            y_ref[size_t((pl * g.Ho + oh) * g.Wo + ow)] = kernels::avg_col_sum(t.data(), oh, ow, g, cip);
        for (int64_t h = 0; h < H; ++h)
          for (int64_t w = 0; w < W; ++w)
            gx_ref[size_t((pl * H + h) * W + w)] = kernels::avg_grad_row(u.data(), h, w, g);
      }
      for (int threads : {1, 2, 3}) {
        omp_set_num_threads(threads);
        Tensor xr = x.clone().detach();
        xr.requires_grad_();
        const Tensor y = nn::avg_pool2d(xr, p);
        y.backward(gy);
        CAPTURE(H);
        CAPTURE(W);
        CAPTURE(cip);
        CAPTURE(threads);
        CHECK(std::memcmp(y.data<float>(), y_ref.data(), y_ref.size() * 4) == 0);
        CHECK(std::memcmp(xr.grad().data<float>(), gx_ref.data(), gx_ref.size() * 4) == 0);
      }
    }
  }
  omp_set_num_threads(saved);
}

TEST_CASE("upsample_bilinear: hand-worked values for both align_corners") {
  const Tensor x = Tensor::from_vector({0, 1}, {1, 1, 1, 2});
  // align_corners=true, 2 -> 3: src = 0, 0.5, 1.
  CHECK(nn::upsample_bilinear(x, nn::UpsampleOptions::size(1, 3, true)).to_vector() == std::vector<float>{0, 0.5f, 1});
  // align_corners=false, 2 -> 4: src = max(0, (o + 0.5)/2 - 0.5) = 0, 0.25, 0.75, 1.25 -> clamped at the edge.
  CHECK(nn::upsample_bilinear(x, nn::UpsampleOptions::size(1, 4, false)).to_vector() ==
        std::vector<float>{0, 0.25f, 0.75f, 1});
  // Identity size is the identity.
  const Tensor r = test::random_tensor({2, 3, 4, 5}, -1, 1, 4);
  CHECK(nn::upsample_bilinear(r, nn::UpsampleOptions::size(4, 5)).to_vector() == r.to_vector());
  CHECK(nn::Upsample(nn::UpsampleOptions::scale(2.5))(r).shape() == Shape{2, 3, 10, 12});
}

TEST_CASE("pooling and upsampling: bad arguments give one-line errors") {
  const Tensor x = Tensor::zeros({1, 2, 5, 5});
  CHECK(contains(error_of([&] { nn::max_pool2d(x, nn::PoolParams::square(3, 1, 2)); }),
                 "max_pool2d: padding 2x2 must be >= 0 and at most half the kernel 3x3"));
  CHECK(contains(error_of([&] { nn::avg_pool2d(x, nn::PoolParams::square(7)); }),
                 "avg_pool2d: input 5x5 (padded 5x5) is smaller than the kernel 7x7"));
  CHECK(contains(error_of([&] {
                   nn::max_pool2d(Tensor::zeros({2, 5, 5}), nn::PoolParams::square(2));
                 }),
                 "max_pool2d: expected input [N, C, H, W], got shape [2, 5, 5]"));
  CHECK(contains(error_of([&] { nn::upsample_bilinear(x, nn::UpsampleOptions::scale(0.1)); }),
                 "upsample_bilinear: scale factors 0.1x0.1 give an empty output from 5x5"));
  CHECK(contains(error_of([&] { nn::upsample_bilinear(x, nn::UpsampleOptions::scale(-1.0)); }),
                 "upsample_bilinear: give a target size or positive scale factors"));
  CHECK(contains(error_of([&] { nn::upsample_bilinear(x, nn::UpsampleOptions::size(3, 0)); }),
                 "upsample_bilinear: target size must be positive, got 3x0"));
}
