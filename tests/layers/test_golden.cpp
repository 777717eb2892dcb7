// Layers against PyTorch: forward and backward of conv, transposed conv, batch norm, instance
// norm, pooling (ceil_mode and global average pooling included), bilinear upsampling, linear,
// PReLU and tanh on small fixed inputs, compared with the values PyTorch computed
// (tests/reference/make_layer_fixtures.py -> tests/fixtures/layers/*.npy).
//
// Tolerance: |fbd - torch| <= 2e-5 + 2e-5 |torch|. Both sides compute in float32 but sum in
// different orders (GEMM blocking, separable pooling sums, double-precision batch norm
// statistics), so results differ by a few ulps of the largest partial sums; the values here
// are O(1) with at most a few hundred terms per output, giving differences below 1e-5. A wrong
// index or weight gives O(0.1) errors.
#include <doctest/doctest.h>

#include <functional>
#include <string>

#include "core/autograd.h"
#include "core/npy.h"
#include "core/ops.h"
#include "layers/layers.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;

namespace {

Tensor load(const std::string& name, const std::string& what) {
  return read_npy(test::fixture("layers/" + name + "." + what + ".npy"));
}

void close(const Tensor& expected, const Tensor& got, const std::string& what) {
  REQUIRE_MESSAGE(expected.shape() == got.shape(),
                  what << ": shape " << shape_str(got.shape()) << " vs torch " << shape_str(expected.shape()));
  test::check_close(expected.to_vector(), got.detach().cpu().to_vector(), 2e-5, 2e-5, what);
}

// Runs fn(x, params...) forward and backward with the fixture's gy and compares y and every
// gradient with PyTorch's.
void golden(const std::string& name, int nparams,
            const std::function<Tensor(const Tensor&, const std::vector<Tensor>&)>& fn) {
  INFO("case " << name);
  Tensor x = load(name, "x");
  x.requires_grad_();
  std::vector<Tensor> params;
  const char* keys[2] = {"w", "b"};
  for (int i = 0; i < nparams; ++i) {
    params.push_back(load(name, keys[i]));
    params.back().requires_grad_();
  }
  Tensor y = fn(x, params);
  close(load(name, "y"), y, name + " forward");
  y.backward(load(name, "gy"));
  close(load(name, "gx"), x.grad(), name + " input gradient");
  for (int i = 0; i < nparams; ++i)
    close(load(name, std::string("g") + keys[i]), params[size_t(i)].grad(), name + " gradient of " + keys[i]);
}

}  // namespace

TEST_CASE("golden: conv2d and conv_transpose2d match PyTorch") {
  golden("conv_s2p1", 2, [](const Tensor& x, const std::vector<Tensor>& p) {
    nn::ConvParams c;
    c.sh = c.sw = 2, c.ph = c.pw = 1;
    return nn::conv2d(x, p[0], p[1], c);
  });
  golden("conv_dilated", 2, [](const Tensor& x, const std::vector<Tensor>& p) {
    nn::ConvParams c;
    c.sh = 1, c.sw = 2, c.ph = 2, c.pw = 1, c.dh = 2, c.dw = 1;
    return nn::conv2d(x, p[0], p[1], c);
  });
  golden("conv_1x1", 2, [](const Tensor& x, const std::vector<Tensor>& p) { return nn::conv2d(x, p[0], p[1]); });
  golden("convT_s2", 2, [](const Tensor& x, const std::vector<Tensor>& p) {
    nn::ConvParams c;
    c.sh = c.sw = 2, c.ph = c.pw = 1, c.oph = c.opw = 1;
    return nn::conv_transpose2d(x, p[0], p[1], c);
  });
  golden("convT_dilated", 2, [](const Tensor& x, const std::vector<Tensor>& p) {
    nn::ConvParams c;
    c.sh = 1, c.sw = 2, c.ph = 0, c.pw = 1, c.dh = 2, c.dw = 1;
    return nn::conv_transpose2d(x, p[0], p[1], c);
  });
}

TEST_CASE("golden: batch_norm2d in training and eval mode matches PyTorch, running statistics included") {
  Tensor rm = load("bn_train", "rm0").clone(), rv = load("bn_train", "rv0").clone();
  golden("bn_train", 2, [&](const Tensor& x, const std::vector<Tensor>& p) {
    return nn::batch_norm2d(x, p[0], p[1], rm, rv, true, 0.1, 1e-5);
  });
  close(load("bn_train", "rm"), rm, "running_mean after one training step");
  close(load("bn_train", "rv"), rv, "running_var after one training step (unbiased batch variance)");
  const Tensor rm0 = load("bn_eval", "rm0"), rv0 = load("bn_eval", "rv0");
  golden("bn_eval", 2, [&](const Tensor& x, const std::vector<Tensor>& p) {
    return nn::batch_norm2d(x, p[0], p[1], rm0, rv0, false, 0.1, 1e-3);
  });
}

TEST_CASE("golden: max and average pooling match PyTorch, including the 31x31 window") {
  golden("maxpool_k3s2p1", 0,
         [](const Tensor& x, auto&) { return nn::max_pool2d(x, nn::PoolParams::square(3, 2, 1)); });
  golden("maxpool_k2", 0, [](const Tensor& x, auto&) { return nn::max_pool2d(x, nn::PoolParams::square(2)); });
  golden("avgpool_k3s2p1_pad", 0,
         [](const Tensor& x, auto&) { return nn::avg_pool2d(x, nn::PoolParams::square(3, 2, 1, true)); });
  golden("avgpool_k3s2p1_nopad", 0,
         [](const Tensor& x, auto&) { return nn::avg_pool2d(x, nn::PoolParams::square(3, 2, 1, false)); });
  golden("avgpool_k31s1p15", 0,
         [](const Tensor& x, auto&) { return nn::avg_pool2d(x, nn::PoolParams::square(31, 1, 15, true)); });
}

TEST_CASE("golden: bilinear upsampling matches PyTorch for sizes, scales and both align_corners") {
  using U = nn::UpsampleOptions;
  golden("up_size_ac0", 0, [](const Tensor& x, auto&) { return nn::upsample_bilinear(x, U::size(11, 7, false)); });
  golden("up_size_ac1", 0, [](const Tensor& x, auto&) { return nn::upsample_bilinear(x, U::size(11, 7, true)); });
  golden("up_scale2_ac0", 0, [](const Tensor& x, auto&) { return nn::upsample_bilinear(x, U::scale(2.0)); });
  golden("up_scale1.7_ac0", 0, [](const Tensor& x, auto&) { return nn::upsample_bilinear(x, U::scale(1.7)); });
  golden("up_scale1.7_ac1", 0,
         [](const Tensor& x, auto&) { return nn::upsample_bilinear(x, U::scale(1.7, 1.7, true)); });
  golden("up_down_ac0", 0, [](const Tensor& x, auto&) { return nn::upsample_bilinear(x, U::size(3, 3, false)); });
}

TEST_CASE("golden: linear matches PyTorch") {
  golden("linear", 2, [](const Tensor& x, const std::vector<Tensor>& p) { return nn::linear(x, p[0], p[1]); });
}

TEST_CASE("golden: PReLU (one slope, one per channel) and tanh match PyTorch") {
  golden("prelu_shared", 1, [](const Tensor& x, const std::vector<Tensor>& p) { return nn::prelu(x, p[0]); });
  golden("prelu_channels", 1, [](const Tensor& x, const std::vector<Tensor>& p) { return nn::prelu(x, p[0]); });
  golden("tanh", 0, [](const Tensor& x, auto&) { return tanh(x); });
}

TEST_CASE("golden: instance_norm2d matches PyTorch, with and without the affine transform") {
  golden("inorm", 0, [](const Tensor& x, auto&) { return nn::instance_norm2d(x, Tensor(), Tensor()); });
  golden("inorm_affine", 2,
         [](const Tensor& x, const std::vector<Tensor>& p) { return nn::instance_norm2d(x, p[0], p[1], 1e-3f); });
  // Values near 51 with a spread of 1: PyTorch's float32 statistics and fbd's shifted sums agree.
  golden("inorm_offset", 0, [](const Tensor& x, auto&) { return nn::instance_norm2d(x, Tensor(), Tensor()); });
}

TEST_CASE("golden: ceil_mode pooling and global average pooling match PyTorch") {
  golden("maxpool_ceil_k3s2", 0,
         [](const Tensor& x, auto&) { return nn::max_pool2d(x, nn::PoolParams::square(3, 2, 0, true, true)); });
  golden("maxpool_ceil_k3s2p1", 0,
         [](const Tensor& x, auto&) { return nn::max_pool2d(x, nn::PoolParams::square(3, 2, 1, true, true)); });
  golden("avgpool_ceil_k3s2p1_pad", 0,
         [](const Tensor& x, auto&) { return nn::avg_pool2d(x, nn::PoolParams::square(3, 2, 1, true, true)); });
  golden("avgpool_ceil_k3s2p1_nopad", 0,
         [](const Tensor& x, auto&) { return nn::avg_pool2d(x, nn::PoolParams::square(3, 2, 1, false, true)); });
  golden("avgpool_ceil_k2", 0,
         [](const Tensor& x, auto&) { return nn::avg_pool2d(x, nn::PoolParams::square(2, 0, 0, true, true)); });
  golden("global_avgpool", 0, [](const Tensor& x, auto&) { return nn::global_avg_pool2d(x); });
}
