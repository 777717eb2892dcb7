// The network of the training-step benchmark: an encoder-decoder shaped like the paper's
// (Fig. 2): five encoder stages of two conv3x3-BN-ReLU (widths c, 2c, 4c, 8c, 16c), max-pool
// between them, a bilinear-upsampling decoder with skip concatenations, a 1x1 head, deep
// supervision from stages 3, 4 and 5 (1x1 conv, upsampled to the input size) and an edge
// branch on stage 2 (conv3x3 to one channel, upsampled). The loss is the mean squared error of
// the sigmoid of each output against the mask, summed over the five outputs (a stand-in for
// the paper's losses, which are another area's). bench/compare_torch_layers.py builds the
// same network in PyTorch.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/ops.h"
#include "layers/layers.h"

namespace fbd::bench {

// "enc" + std::to_string(i) trips a false -Wrestrict in GCC 12; append instead.
inline std::string numbered(const char* prefix, int i) {
  std::string s = prefix;
  s += std::to_string(i);
  return s;
}

class ConvBnRelu : public nn::Module {
 public:
  ConvBnRelu(int64_t in, int64_t out, Generator& gen) : Module("ConvBnRelu") {
    conv_ = register_module("conv", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(in, out, 3).padding(1), gen));
    bn_ = register_module("bn", std::make_shared<nn::BatchNorm2d>(out));
  }
  Tensor forward(const Tensor& x) override { return relu(bn_->forward(conv_->forward(x))); }

 private:
  std::shared_ptr<nn::Conv2d> conv_;
  std::shared_ptr<nn::BatchNorm2d> bn_;
};

class PaperLikeNet : public nn::Module {
 public:
  PaperLikeNet(int64_t c, Generator& gen) : Module("PaperLikeNet") {
    const int64_t w[5] = {c, 2 * c, 4 * c, 8 * c, 16 * c};
    int64_t in = 1;
    for (int s = 0; s < 5; ++s) {
      enc_.push_back(stage(numbered("enc", s + 1), in, w[s], gen));
      in = w[s];
    }
    for (int s = 3; s >= 0; --s) dec_.push_back(stage(numbered("dec", s + 1), w[s + 1] + w[s], w[s], gen));
    head_ = register_module("head", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(c, 1, 1), gen));
    for (int s = 2; s < 5; ++s)
      side_.push_back(
          register_module(numbered("side", s + 1), std::make_shared<nn::Conv2d>(nn::Conv2dOptions(w[s], 1, 1), gen)));
    edge_ = register_module("edge", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(w[1], 1, 3).padding(1), gen));
  }

  // Main output, three side outputs and the edge map, all [N, 1, H, W].
  std::vector<Tensor> outputs(const Tensor& x) {
    const int64_t H = x.shape()[2], W = x.shape()[3];
    std::vector<Tensor> f;
    Tensor h = x;
    for (size_t s = 0; s < enc_.size(); ++s) {
      if (s > 0) h = nn::max_pool2d(h, nn::PoolParams::square(2));
      h = enc_[s]->forward(h);
      f.push_back(h);
    }
    for (size_t k = 0; k < dec_.size(); ++k) {
      const Tensor& skip = f[3 - k];
      const Tensor up = nn::upsample_bilinear(h, nn::UpsampleOptions::size(skip.shape()[2], skip.shape()[3]));
      h = dec_[k]->forward(nn::concat_channels({up, skip}));
    }
    std::vector<Tensor> out{head_->forward(h)};
    const auto full = nn::UpsampleOptions::size(H, W);
    for (size_t s = 0; s < side_.size(); ++s) out.push_back(nn::upsample_bilinear(side_[s]->forward(f[2 + s]), full));
    out.push_back(nn::upsample_bilinear(edge_->forward(f[1]), full));
    return out;
  }

  Tensor loss(const Tensor& x, const Tensor& mask) {
    Tensor total;
    for (const Tensor& z : outputs(x)) {
      const Tensor d = sub(sigmoid(z), mask);
      const Tensor l = mean(mul(d, d));
      total = total.defined() ? add(total, l) : l;
    }
    return total;
  }

 private:
  std::shared_ptr<nn::Sequential> stage(const std::string& name, int64_t in, int64_t out, Generator& gen) {
    auto s = std::make_shared<nn::Sequential>();
    s->add(std::make_shared<ConvBnRelu>(in, out, gen));
    s->add(std::make_shared<ConvBnRelu>(out, out, gen));
    return register_module(name, s);
  }
  std::vector<std::shared_ptr<nn::Sequential>> enc_, dec_;
  std::vector<std::shared_ptr<nn::Conv2d>> side_;
  std::shared_ptr<nn::Conv2d> head_, edge_;
};

// A disc-shaped mask and a noisy image of it, [N, 1, S, S], on `device`.
inline std::pair<Tensor, Tensor> disc_batch(int64_t N, int64_t S, Device device) {
  std::vector<float> img(size_t(N * S * S)), mask(size_t(N * S * S));
  Generator gen(3);
  const std::vector<float> noise = randn({N * S * S}, Device::cpu(), gen).to_vector();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t y = 0; y < S; ++y)
      for (int64_t x = 0; x < S; ++x) {
        const size_t i = size_t((n * S + y) * S + x);
        const double r = S / 4.0 + double(n % 4), dy = y - S / 2.0, dx = x - S / 2.0 - double(n % 3);
        mask[i] = dy * dy + dx * dx <= r * r ? 1.0f : 0.0f;
        img[i] = mask[i] + 0.5f * noise[i];
      }
  return {Tensor::from_vector(img, {N, 1, S, S}, device), Tensor::from_vector(mask, {N, 1, S, S}, device)};
}

}  // namespace fbd::bench
