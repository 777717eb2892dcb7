// Finite-difference checks of every layer's input and parameter gradients on the CPU
// (method and tolerance: tests/layers/gradcheck.h).
#include <doctest/doctest.h>

#include "layers/layers.h"
#include "tests/layers/gradcheck.h"

using namespace fbd;
using test::gradcheck;

namespace {
Tensor R(const Shape& s, float lo, float hi, uint64_t seed) { return test::random_tensor(s, lo, hi, seed); }

nn::ConvParams conv_params(int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw) {
  nn::ConvParams p;
  p.sh = sh, p.sw = sw, p.ph = ph, p.pw = pw, p.dh = dh, p.dw = dw;
  return p;
}
}  // namespace

TEST_CASE("gradcheck: conv2d input, weight and bias") {
  gradcheck("conv2d 3x3 pad 1", [](auto& v) { return nn::conv2d(v[0], v[1], v[2], conv_params(1, 1, 1, 1, 1, 1)); },
            {R({2, 3, 5, 6}, -1, 1, 1), R({4, 3, 3, 3}, -1, 1, 2), R({4}, -1, 1, 3)});
  gradcheck("conv2d stride 2, dilation 2, uneven padding",
            [](auto& v) { return nn::conv2d(v[0], v[1], v[2], conv_params(2, 1, 2, 0, 2, 1)); },
            {R({2, 2, 7, 6}, -1, 1, 4), R({3, 2, 3, 2}, -1, 1, 5), R({3}, -1, 1, 6)});
  gradcheck("conv2d 1x1 without bias", [](auto& v) { return nn::conv2d(v[0], v[1], Tensor()); },
            {R({3, 4, 3, 3}, -1, 1, 7), R({2, 4, 1, 1}, -1, 1, 8)});
  // Batch 9 of 2x2 planes: several samples per GEMM group (conv_cpu.h), the batched layout.
  gradcheck("conv2d batched groups",
            [](auto& v) { return nn::conv2d(v[0], v[1], v[2], conv_params(1, 1, 1, 1, 1, 1)); },
            {R({9, 2, 2, 2}, -1, 1, 9), R({3, 2, 3, 3}, -1, 1, 10), R({3}, -1, 1, 11)});
}

TEST_CASE("gradcheck: conv_transpose2d input, weight and bias") {
  nn::ConvParams p = conv_params(2, 2, 1, 1, 1, 1);
  p.oph = p.opw = 1;
  gradcheck("conv_transpose2d stride 2 output padding 1",
            [p](auto& v) { return nn::conv_transpose2d(v[0], v[1], v[2], p); },
            {R({2, 3, 3, 4}, -1, 1, 12), R({3, 2, 3, 3}, -1, 1, 13), R({2}, -1, 1, 14)});
  gradcheck("conv_transpose2d dilated",
            [](auto& v) { return nn::conv_transpose2d(v[0], v[1], v[2], conv_params(1, 2, 0, 1, 2, 1)); },
            {R({2, 2, 3, 3}, -1, 1, 15), R({2, 3, 2, 3}, -1, 1, 16), R({3}, -1, 1, 17)});
}

TEST_CASE("gradcheck: batch_norm2d in training and eval mode") {
  gradcheck("batch_norm2d training",
            [](auto& v) { return nn::batch_norm2d(v[0], v[1], v[2], Tensor(), Tensor(), true, 0.1, 1e-5); },
            {R({3, 2, 3, 4}, -2, 2, 20), R({2}, 0.5f, 1.5f, 21), R({2}, -1, 1, 22)});
  const Tensor rm = R({2}, -0.5f, 0.5f, 23), rv = R({2}, 0.5f, 2, 24);
  gradcheck("batch_norm2d eval",
            [rm, rv](auto& v) { return nn::batch_norm2d(v[0], v[1], v[2], rm, rv, false, 0.1, 1e-5); },
            {R({3, 2, 3, 4}, -2, 2, 25), R({2}, 0.5f, 1.5f, 26), R({2}, -1, 1, 27)});
}

TEST_CASE("gradcheck: activations, pooling, upsampling, dropout, linear, concat") {
  gradcheck("leaky_relu", [](auto& v) { return nn::leaky_relu(v[0], 0.2f); },
            {test::away_from_zero({2, 3, 4}, -2, 2, 0.02f, 30)});
  gradcheck("max_pool2d k3 s2 p1", [](auto& v) { return nn::max_pool2d(v[0], nn::PoolParams::square(3, 2, 1)); },
            {test::distinct_values({2, 2, 7, 6}, -1, 0.02f, 31)});
  gradcheck("max_pool2d k2", [](auto& v) { return nn::max_pool2d(v[0], nn::PoolParams::square(2)); },
            {test::distinct_values({1, 2, 6, 5}, -1, 0.02f, 32)});
  gradcheck("avg_pool2d k3 s2 p1 count_include_pad",
            [](auto& v) { return nn::avg_pool2d(v[0], nn::PoolParams::square(3, 2, 1, true)); },
            {R({2, 2, 7, 6}, -1, 1, 33)});
  gradcheck("avg_pool2d k3 s1 p1 without padding in the divisor",
            [](auto& v) { return nn::avg_pool2d(v[0], nn::PoolParams::square(3, 1, 1, false)); },
            {R({1, 2, 5, 4}, -1, 1, 34)});
  gradcheck("upsample size align_corners=false",
            [](auto& v) { return nn::upsample_bilinear(v[0], nn::UpsampleOptions::size(7, 9)); },
            {R({2, 2, 3, 4}, -1, 1, 35)});
  gradcheck("upsample scale 2.5 align_corners=true",
            [](auto& v) { return nn::upsample_bilinear(v[0], nn::UpsampleOptions::scale(2.5, 2.5, true)); },
            {R({1, 2, 3, 3}, -1, 1, 36)});
  gradcheck("upsample downscale", [](auto& v) { return nn::upsample_bilinear(v[0], nn::UpsampleOptions::size(3, 2)); },
            {R({1, 1, 7, 5}, -1, 1, 37)});
  gradcheck("dropout p=0.3",
            [](auto& v) {
              Generator gen(99);  // the same mask on every evaluation
              return nn::dropout(v[0], 0.3f, true, gen);
            },
            {R({4, 5, 3}, -1, 1, 38)});
  gradcheck("linear on [2, 3, in]", [](auto& v) { return nn::linear(v[0], v[1], v[2]); },
            {R({2, 3, 5}, -1, 1, 39), R({4, 5}, -1, 1, 40), R({4}, -1, 1, 41)});
  gradcheck("concat_channels",
            [](auto& v) {
              return nn::concat_channels({v[0], v[1], v[2]});
            },
            {R({2, 1, 2, 3}, -1, 1, 42), R({2, 3, 2, 3}, -1, 1, 43), R({2, 2, 2, 3}, -1, 1, 44)});
}

TEST_CASE("gradcheck: prelu, instance_norm2d, ceil_mode pooling, global average pooling") {
  gradcheck("prelu one slope", [](auto& v) { return nn::prelu(v[0], v[1]); },
            {test::away_from_zero({2, 3, 3, 4}, -2, 2, 0.02f, 60), R({1}, 0.1f, 0.4f, 61)});
  gradcheck("prelu per channel", [](auto& v) { return nn::prelu(v[0], v[1]); },
            {test::away_from_zero({2, 3, 3, 4}, -2, 2, 0.02f, 62), R({3}, -0.5f, 0.5f, 63)});
  gradcheck("instance_norm2d", [](auto& v) { return nn::instance_norm2d(v[0], Tensor(), Tensor()); },
            {R({2, 3, 3, 4}, -2, 2, 64)});
  gradcheck("instance_norm2d affine", [](auto& v) { return nn::instance_norm2d(v[0], v[1], v[2], 1e-3f); },
            {R({2, 3, 4, 3}, -2, 2, 65), R({3}, 0.5f, 1.5f, 66), R({3}, -1, 1, 67)});
  gradcheck("max_pool2d k3 s2 p1 ceil_mode",
            [](auto& v) { return nn::max_pool2d(v[0], nn::PoolParams::square(3, 2, 1, true, true)); },
            {test::distinct_values({2, 2, 8, 6}, -1, 0.02f, 68)});
  gradcheck("avg_pool2d k3 s2 p1 ceil_mode",
            [](auto& v) { return nn::avg_pool2d(v[0], nn::PoolParams::square(3, 2, 1, true, true)); },
            {R({2, 2, 8, 6}, -1, 1, 69)});
  gradcheck("avg_pool2d k2 ceil_mode without padding in the divisor",
            [](auto& v) { return nn::avg_pool2d(v[0], nn::PoolParams::square(2, 2, 0, false, true)); },
            {R({1, 2, 5, 7}, -1, 1, 70)});
  gradcheck("global_avg_pool2d", [](auto& v) { return nn::global_avg_pool2d(v[0]); }, {R({2, 3, 5, 4}, -1, 1, 71)});
}

TEST_CASE("gradcheck: a small conv - batch norm - leaky relu - pool - upsample - concat block, end to end") {
  gradcheck("block",
            [](auto& v) {
              nn::ConvParams p;
              p.ph = p.pw = 1;
              const Tensor a = nn::leaky_relu(
                  nn::batch_norm2d(nn::conv2d(v[0], v[1], v[2], p), v[3], v[4], Tensor(), Tensor(), true, 0.1, 1e-5),
                  0.1f);
              const Tensor down = nn::avg_pool2d(a, nn::PoolParams::square(2));
              const Tensor up = nn::upsample_bilinear(down, nn::UpsampleOptions::scale(2.0));
              return nn::concat_channels({a, up});
            },
            {R({2, 2, 4, 4}, -1, 1, 50), R({3, 2, 3, 3}, -1, 1, 51), R({3}, -1, 1, 52), R({3}, 0.5f, 1.5f, 53),
             R({3}, -1, 1, 54)});
}
