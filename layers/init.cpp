#include "layers/init.h"

#include <cmath>

#include "core/autograd.h"

namespace fbd::nn::init {

double calculate_gain(Nonlinearity nl, double param) {
  switch (nl) {
    case Nonlinearity::Linear:
    case Nonlinearity::Conv2d:
    case Nonlinearity::Sigmoid: return 1.0;
    case Nonlinearity::Tanh: return 5.0 / 3.0;
    case Nonlinearity::Relu: return std::sqrt(2.0);
    case Nonlinearity::LeakyRelu: return std::sqrt(2.0 / (1.0 + param * param));
    case Nonlinearity::Selu: return 3.0 / 4.0;
  }
  return 1.0;
}

std::pair<int64_t, int64_t> fan_in_and_fan_out(const Shape& shape) {
  FBD_CHECK(shape.size() >= 2, "init: fan in and fan out need a tensor of at least 2 dimensions, got ",
            shape_str(shape));
  int64_t receptive = 1;
  for (size_t k = 2; k < shape.size(); ++k) receptive *= shape[k];
  return {shape[1] * receptive, shape[0] * receptive};
}

namespace {

double fan_of(const Tensor& w, FanMode mode) {
  const auto [fan_in, fan_out] = fan_in_and_fan_out(w.shape());
  const int64_t fan = mode == FanMode::FanIn ? fan_in : fan_out;
  FBD_CHECK(fan > 0, "init: cannot initialise a tensor with zero elements (shape ", shape_str(w.shape()), ")");
  return double(fan);
}

}  // namespace

void kaiming_uniform_(Tensor& w, Generator& gen, double a, FanMode mode, Nonlinearity nl) {
  const double bound = calculate_gain(nl, a) * std::sqrt(3.0 / fan_of(w, mode));
  NoGradGuard no_grad;
  uniform_(w, float(-bound), float(bound), gen);
}

void kaiming_normal_(Tensor& w, Generator& gen, double a, FanMode mode, Nonlinearity nl) {
  const double std = calculate_gain(nl, a) / std::sqrt(fan_of(w, mode));
  NoGradGuard no_grad;
  normal_(w, 0.0f, float(std), gen);
}

void xavier_uniform_(Tensor& w, Generator& gen, double gain) {
  const auto [fan_in, fan_out] = fan_in_and_fan_out(w.shape());
  FBD_CHECK(fan_in + fan_out > 0, "init: cannot initialise a tensor with zero elements");
  const double a = gain * std::sqrt(6.0 / double(fan_in + fan_out));
  NoGradGuard no_grad;
  uniform_(w, float(-a), float(a), gen);
}

void xavier_normal_(Tensor& w, Generator& gen, double gain) {
  const auto [fan_in, fan_out] = fan_in_and_fan_out(w.shape());
  FBD_CHECK(fan_in + fan_out > 0, "init: cannot initialise a tensor with zero elements");
  const double std = gain * std::sqrt(2.0 / double(fan_in + fan_out));
  NoGradGuard no_grad;
  normal_(w, 0.0f, float(std), gen);
}

void default_layer_init_(Tensor& w, Tensor& b, Generator& gen) {
  kaiming_uniform_(w, gen, std::sqrt(5.0));
  if (b.defined()) {
    const double fan_in = fan_of(w, FanMode::FanIn);
    const double bound = 1.0 / std::sqrt(fan_in);
    NoGradGuard no_grad;
    uniform_(b, float(-bound), float(bound), gen);
  }
}

}  // namespace fbd::nn::init
