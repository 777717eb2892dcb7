// Weight initialisation as torch.nn.init defines it, drawn from an fbd Generator (Philox:
// the same values on the CPU and CUDA for the same seed).
//
//   fan_in  = size(1) * receptive field, fan_out = size(0) * receptive field
//             (receptive field = product of the sizes after the first two; a 2-d tensor has 1)
//   gain:   linear, conv*, sigmoid: 1;  tanh: 5/3;  relu: sqrt(2);
//           leaky_relu(a): sqrt(2 / (1 + a^2));  selu: 3/4
//   kaiming_uniform_: U(-b, b), b = gain * sqrt(3 / fan)     kaiming_normal_: N(0, gain / sqrt(fan))
//   xavier_uniform_:  U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))
//   xavier_normal_:   N(0, gain * sqrt(2 / (fan_in + fan_out)))
// where fan is fan_in or fan_out by `mode`. Like PyTorch, ConvTranspose2d's weight
// [in, out, kh, kw] counts dimension 1 (out) as fan_in.
#pragma once
#include <utility>

#include "core/rng.h"
#include "core/tensor.h"

namespace fbd::nn::init {

enum class FanMode { FanIn, FanOut };
enum class Nonlinearity { Linear, Conv2d, Sigmoid, Tanh, Relu, LeakyRelu, Selu };

// `param` is leaky_relu's negative slope (PyTorch's default 0.01 when not given).
double calculate_gain(Nonlinearity nl, double param = 0.01);
// {fan_in, fan_out} of a weight of at least 2 dimensions.
std::pair<int64_t, int64_t> fan_in_and_fan_out(const Shape& shape);

void kaiming_uniform_(Tensor& w, Generator& gen, double a = 0.0, FanMode mode = FanMode::FanIn,
                      Nonlinearity nl = Nonlinearity::LeakyRelu);
void kaiming_normal_(Tensor& w, Generator& gen, double a = 0.0, FanMode mode = FanMode::FanIn,
                     Nonlinearity nl = Nonlinearity::LeakyRelu);
void xavier_uniform_(Tensor& w, Generator& gen, double gain = 1.0);
void xavier_normal_(Tensor& w, Generator& gen, double gain = 1.0);

// PyTorch's default for Conv2d, ConvTranspose2d and Linear (reset_parameters): the weight by
// kaiming_uniform_(a = sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias (if
// defined) by U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with the weight's fan_in.
void default_layer_init_(Tensor& w, Tensor& b, Generator& gen);

}  // namespace fbd::nn::init
