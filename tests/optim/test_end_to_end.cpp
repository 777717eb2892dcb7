// End to end on the CPU: a small encoder-decoder (conv, batch norm, ReLU, max pooling,
// bilinear upsampling, a skip concatenation) trained with Adam learns to segment a bright
// disc in Gaussian noise. Sixteen fixed 32x32 images (random centre and radius, noise std
// 0.6 over a contrast of 1), batch of 8, 80 steps: the per-pixel logistic loss must fall from
// ~0.69 by at least 8x and the pixel accuracy on the training images reach 97%. It runs in
// about a second on 2 cores; the seed is fixed, so the run is the same every time.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>

#include "core/ops.h"
#include "layers/layers.h"
#include "optim/optim.h"
#include "tests/test_util.h"

using namespace fbd;

namespace {

class TinyUNet : public nn::Module {
 public:
  explicit TinyUNet(Generator& gen) : Module("TinyUNet") {
    auto conv = [&](int64_t in, int64_t out) {
      return std::make_shared<nn::Conv2d>(nn::Conv2dOptions(in, out, 3).padding(1), gen);
    };
    c1_ = register_module("c1", conv(1, 8));
    b1_ = register_module("b1", std::make_shared<nn::BatchNorm2d>(8));
    c2_ = register_module("c2", conv(8, 16));
    b2_ = register_module("b2", std::make_shared<nn::BatchNorm2d>(16));
    c3_ = register_module("c3", conv(24, 8));
    head_ = register_module("head", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(8, 1, 1), gen));
  }
  Tensor forward(const Tensor& x) override {
    const Tensor e1 = relu(b1_->forward(c1_->forward(x)));                                              // 8 @ 32
    const Tensor e2 = relu(b2_->forward(c2_->forward(nn::max_pool2d(e1, nn::PoolParams::square(2)))));  // 16 @ 16
    const Tensor up = nn::upsample_bilinear(e2, nn::UpsampleOptions::scale(2.0));                       // 16 @ 32
    return head_->forward(relu(c3_->forward(nn::concat_channels({e1, up}))));
  }

 private:
  std::shared_ptr<nn::Conv2d> c1_, c2_, c3_, head_;
  std::shared_ptr<nn::BatchNorm2d> b1_, b2_;
};

// Mean of the logistic loss with logits z and targets t: max(z, 0) - z t + log(1 + e^-|z|).
Tensor bce_with_logits(const Tensor& z, const Tensor& t) {
  return mean(sub(relu(z), mul(z, t)) + log(add_scalar(exp(neg(abs(z))), 1.0f)));
}

}  // namespace

TEST_CASE("end to end: a small conv net learns to segment a disc in noise") {
  const int64_t n = 16, S = 32;
  Generator data(7);
  const std::vector<float> centre = test::random_values(3 * n, 0, 1, 8);
  const std::vector<float> noise = randn({n, 1, S, S}, Device::cpu(), data).to_vector();
  std::vector<float> img(size_t(n * S * S)), mask(size_t(n * S * S));
  for (int64_t k = 0; k < n; ++k) {
    const float cy = 8 + 16 * centre[size_t(3 * k)], cx = 8 + 16 * centre[size_t(3 * k + 1)];
    const float r = 4 + 5 * centre[size_t(3 * k + 2)];
    for (int64_t y = 0; y < S; ++y)
      for (int64_t x = 0; x < S; ++x) {
        const size_t i = size_t((k * S + y) * S + x);
        const bool in = (y - cy) * (y - cy) + (x - cx) * (x - cx) <= r * r;
        mask[i] = in ? 1.0f : 0.0f;
        img[i] = (in ? 1.0f : 0.0f) + 0.6f * noise[i];
      }
  }
  const Tensor images = Tensor::from_vector(img, {n, 1, S, S}), masks = Tensor::from_vector(mask, {n, 1, S, S});

  Generator gen(1);
  TinyUNet net(gen);
  optim::AdamOptions o;
  o.lr = 0.01;
  optim::Adam adam(net.named_parameters(), o);
  const auto t0 = std::chrono::steady_clock::now();
  float first = 0, last = 0;
  for (int step = 0; step < 80; ++step) {
    const int64_t b = (step % 2) * 8;
    const Tensor loss = bce_with_logits(net(images.narrow0(b, 8)), masks.narrow0(b, 8));
    if (step == 0) first = loss.item();
    last = loss.item();
    adam.zero_grad();
    loss.backward();
    adam.step();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  net.eval();
  const std::vector<float> logits = net(images).to_vector();
  int64_t correct = 0;
  for (size_t i = 0; i < logits.size(); ++i) correct += (logits[i] > 0) == (mask[i] > 0.5f);
  const double accuracy = double(correct) / double(logits.size());
  MESSAGE("loss " << first << " -> " << last << " (x" << first / last << "), accuracy " << accuracy << ", " << seconds
                  << " s");
  CHECK(first > 0.5f);
  CHECK(last * 8 < first);
  CHECK(accuracy >= 0.97);
}
