// AlexNet as torchvision defines it (torchvision.models.alexnet, after Krizhevsky, Sutskever &
// Hinton, "ImageNet Classification with Deep Convolutional Neural Networks", NIPS 2012, in the
// one-GPU form of Krizhevsky's "One weird trick", 2014): no grouped convolutions, no local
// response normalisation.
//
//   features    conv 11x11 stride 4 pad 2 (64), ReLU, max 3x3 stride 2,
//               conv 5x5 pad 2 (192), ReLU, max 3x3/2,
//               conv 3x3 pad 1 (384), ReLU, conv 3x3 (256), ReLU, conv 3x3 (256), ReLU, max 3x3/2
//   avgpool     adaptive average pooling to 6 x 6 (at 224 px the grid is already 6 x 6; at 64 px
//               it is 1 x 1 and each of the 36 cells repeats it, as nn.AdaptiveAvgPool2d does)
//   classifier  dropout 0.5, FC 4096, ReLU, dropout 0.5, FC 4096, ReLU, FC (here one logit)
//
// Width multiplier m: every convolution's channels and the two 4096-wide layers. Smallest input:
// 63 px (the last max pool needs a 3 x 3 grid). Initialisation: PyTorch's layer defaults, as
// torchvision's. Parameter names as torchvision's, so its ImageNet weights load by name
// (load_alexnet_pretrained, for alexnet-tl).
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "apps/classify/cnn_common.h"
#include "core/autograd.h"
#include "core/error.h"

namespace fbd::app {

namespace {

// nn.AdaptiveAvgPool2d((oh, ow)) as a fixed linear map: the [H W, oh ow] matrix whose column
// (i, j) averages rows floor(i H / oh) .. ceil((i + 1) H / oh) - 1 and the same columns of W.
Tensor adaptive_pool_matrix(int64_t h, int64_t w, int64_t oh, int64_t ow) {
  std::vector<float> m(size_t(h * w * oh * ow), 0.0f);
  for (int64_t i = 0; i < oh; ++i)
    for (int64_t j = 0; j < ow; ++j) {
      const int64_t y0 = (i * h) / oh, y1 = ((i + 1) * h + oh - 1) / oh;
      const int64_t x0 = (j * w) / ow, x1 = ((j + 1) * w + ow - 1) / ow;
      const float v = 1.0f / float((y1 - y0) * (x1 - x0));
      for (int64_t y = y0; y < y1; ++y)
        for (int64_t x = x0; x < x1; ++x) m[size_t((y * w + x) * oh * ow + i * ow + j)] = v;
    }
  return Tensor::from_vector(m, {h * w, oh * ow});
}

class AlexNet : public CnnNet {
 public:
  AlexNet(const CnnConfig& c, Generator& gen) : CnnNet("AlexNet", c, gen) {
    const double m = c.width_mult;
    const int64_t c1 = scaled_channels(64, m), c2 = scaled_channels(192, m), c3 = scaled_channels(384, m),
                  c4 = scaled_channels(256, m), c5 = scaled_channels(256, m), hidden = scaled_channels(4096, m);
    features_ = register_module("features", std::make_shared<nn::Sequential>());
    auto conv = [&](int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad) {
      features_->add(std::make_shared<nn::Conv2d>(nn::Conv2dOptions(in, out, k).stride(stride).padding(pad), gen));
      features_->add(std::make_shared<nn::ReLU>());
    };
    auto pool = [&] { features_->add(std::make_shared<nn::MaxPool2d>(3, 2)); };
    conv(1, c1, 11, 4, 2), pool();
    conv(c1, c2, 5, 1, 2), pool();
    conv(c2, c3, 3, 1, 1), conv(c3, c4, 3, 1, 1), conv(c4, c5, 3, 1, 1), pool();
    classifier_ = register_module("classifier", std::make_shared<nn::Sequential>());
    classifier_->add(dropout(0.5f));
    classifier_->add(std::make_shared<nn::Linear>(c5 * 36, hidden, true, gen));
    classifier_->add(std::make_shared<nn::ReLU>());
    classifier_->add(dropout(0.5f));
    classifier_->add(std::make_shared<nn::Linear>(hidden, hidden, true, gen));
    classifier_->add(std::make_shared<nn::ReLU>());
    classifier_->add(std::make_shared<nn::Linear>(hidden, 1, true, gen));
  }

  Tensor forward(const Tensor& x) override {
    const Tensor f = features_->forward(x);
    const int64_t n = f.size(0), ch = f.size(1), h = f.size(2), w = f.size(3);
    if (!pool_.defined() || pool_h_ != h || pool_w_ != w || pool_.device() != f.device()) {
      pool_ = adaptive_pool_matrix(h, w, 6, 6).to(f.device());
      pool_h_ = h, pool_w_ = w;
    }
    const Tensor pooled = matmul(f.reshape({n * ch, h * w}), pool_).reshape({n, ch * 36});
    return classifier_->forward(pooled);
  }

 private:
  std::shared_ptr<nn::Sequential> features_, classifier_;
  Tensor pool_;  // the adaptive pooling matrix of the last grid size seen
  int64_t pool_h_ = 0, pool_w_ = 0;
};

}  // namespace

std::shared_ptr<nn::Module> make_alexnet(const CnnConfig& c, Generator& gen) {
  return std::make_shared<AlexNet>(c, gen);
}

std::vector<std::string> load_alexnet_pretrained(nn::Module& alexnet, const std::string& path) {
  const NamedTensors file = nn::load_safetensors(path);
  const NamedTensors own = alexnet.state_dict();
  std::map<std::string, Tensor> by_name;
  for (const auto& [name, t] : file) by_name[name] = t;
  std::set<std::string> expected;
  const std::string head = kAlexNetHead;
  // Check everything before anything is copied, so a bad file leaves the network as it was.
  std::vector<std::pair<Tensor, Tensor>> copies;  // (destination, source)
  for (const auto& [name, dst] : own) {
    expected.insert(name);
    if (name.rfind(head, 0) == 0) continue;  // the head is the network's own
    auto it = by_name.find(name);
    FBD_CHECK(it != by_name.end(), path, ": no tensor '", name, "' (expected torchvision's AlexNet, shape ",
              shape_str(dst.shape()), ")");
    Tensor src = it->second;
    FBD_CHECK(src.dtype() == DType::F32, path, ": tensor '", name, "' is ", dtype_name(src.dtype()),
              ", expected float32");
    Shape want = dst.shape();
    if (name == "features.0.weight" && src.dim() == 4 && src.size(1) == 3 && want[1] == 1) {
      // ImageNet's RGB filters on a grey-level image repeated in all three channels: their sum.
      Shape rgb = want;
      rgb[1] = 3;
      FBD_CHECK(src.shape() == rgb, path, ": tensor '", name, "' has shape ", shape_str(src.shape()), ", expected ",
                shape_str(rgb), " (or ", shape_str(want), ")");
      src = sum(src, {1}, true);
    }
    FBD_CHECK(src.shape() == want, path, ": tensor '", name, "' has shape ", shape_str(src.shape()), ", expected ",
              shape_str(want));
    copies.emplace_back(dst, src);
  }
  for (const auto& [name, t] : file) {
    (void)t;
    FBD_CHECK(expected.count(name) > 0, path, ": unexpected tensor '", name,
              "' (not a parameter of torchvision's AlexNet)");
  }
  std::vector<std::string> loaded;
  NoGradGuard no_grad;
  for (auto& [dst, src] : copies) nn::replace_data(dst, src.to(dst.device()));
  for (const auto& [name, dst] : own)
    if (name.rfind(head, 0) != 0) loaded.push_back(name);
  return loaded;
}

}  // namespace fbd::app
