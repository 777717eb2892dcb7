// Pieces the image classifiers share (apps/classify/classifier_registry.h): a base that owns the
// random stream of the network's dropout layers, torchvision's initialisations, flattening.
#pragma once
#include <memory>

#include "apps/classify/classifier_registry.h"
#include "core/ops.h"
#include "layers/layers.h"

namespace fbd::app {

// A classifier network: owns the generator its dropout layers draw from (nn::Dropout keeps a
// reference, so the generator lives as long as the network), seeded from the initialisation's.
class CnnNet : public nn::Module {
 public:
  CnnNet(std::string type, const CnnConfig& c, Generator& gen)
      : nn::Module(std::move(type)),
        config_(c),
        dropout_gen_(std::make_unique<Generator>(gen.seed() * 0x9E3779B97F4A7C15ull + 0xD5ull)) {}
  const CnnConfig& config() const { return config_; }

 protected:
  // Dropout at the architecture's rate p, or the identity when the configuration turns it off.
  std::shared_ptr<nn::Dropout> dropout(float p) {
    return std::make_shared<nn::Dropout>(config_.dropout ? p : 0.0f, *dropout_gen_);
  }

 private:
  CnnConfig config_;
  std::unique_ptr<Generator> dropout_gen_;
};

// [N, ...] -> [N, prod(...)] (torch.flatten(x, 1)).
inline Tensor flatten(const Tensor& x) { return x.reshape({x.size(0), -1}); }

// torchvision's convolution initialisation for the ReLU networks (VGG, ResNet): He normal with
// fan_out, bias 0.
inline void kaiming_fan_out_(const std::shared_ptr<nn::Conv2d>& conv, Generator& gen) {
  Tensor w = conv->weight();
  nn::init::kaiming_normal_(w, gen, 0.0, nn::init::FanMode::FanOut, nn::init::Nonlinearity::Relu);
  Tensor b = conv->bias();
  if (b.defined()) fill_(b, 0.0f);
}

}  // namespace fbd::app
