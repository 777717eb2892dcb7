// The Module system: registration, dotted names in PyTorch's order, train/eval through the
// tree, zero_grad, strict load_state_dict with errors, moving in place, Sequential.
#include <doctest/doctest.h>

#include "core/ops.h"
#include "layers/layers.h"
#include "tests/test_util.h"

using namespace fbd;
using test::contains;
using test::error_of;

namespace {

// conv -> bn -> relu, with a child and its own parameter (as a network block would be).
class Block : public nn::Module {
 public:
  explicit Block(Generator& gen) : Module("Block") {
    scale_ = register_parameter("scale", Tensor::ones({1}));
    conv_ = register_module("conv", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(2, 3, 3).padding(1), gen));
    bn_ = register_module("bn", std::make_shared<nn::BatchNorm2d>(3));
  }
  Tensor forward(const Tensor& x) override { return relu(mul(bn_->forward(conv_->forward(x)), scale_)); }
  std::shared_ptr<nn::BatchNorm2d> bn_;

 private:
  Tensor scale_;
  std::shared_ptr<nn::Conv2d> conv_;
};

class Net : public nn::Module {
 public:
  explicit Net(Generator& gen) : Module("Net") {
    enc = register_module("enc", std::make_shared<Block>(gen));
    head = register_module("head", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(3, 1, 1), gen));
  }
  Tensor forward(const Tensor& x) override { return head->forward(enc->forward(x)); }
  std::shared_ptr<Block> enc;
  std::shared_ptr<nn::Conv2d> head;
};

std::vector<std::string> names(const NamedTensors& v) {
  std::vector<std::string> out;
  for (const auto& [n, t] : v) out.push_back(n);
  return out;
}

}  // namespace

TEST_CASE("Module: names in PyTorch's order, parameters, buffers") {
  Generator gen(1);
  Net net(gen);
  CHECK(names(net.state_dict()) == std::vector<std::string>{"enc.scale", "enc.conv.weight", "enc.conv.bias",
                                                            "enc.bn.weight", "enc.bn.bias", "enc.bn.running_mean",
                                                            "enc.bn.running_var", "head.weight", "head.bias"});
  CHECK(names(net.named_parameters()) == std::vector<std::string>{"enc.scale", "enc.conv.weight", "enc.conv.bias",
                                                                  "enc.bn.weight", "enc.bn.bias", "head.weight",
                                                                  "head.bias"});
  CHECK(names(net.named_buffers()) == std::vector<std::string>{"enc.bn.running_mean", "enc.bn.running_var"});
  CHECK(net.num_parameters() == 1 + 54 + 3 + 3 + 3 + 3 + 1);
  for (const Tensor& p : net.parameters()) CHECK(p.requires_grad());
  // The registry shares the layer's tensors.
  CHECK(net.named_parameters()[5].second.impl_ptr() == net.head->weight().impl_ptr());
}

TEST_CASE("Module: train/eval reaches every child; zero_grad drops gradients") {
  Generator gen(2);
  Net net(gen);
  net.eval();
  CHECK(!net.is_training());
  CHECK(!net.enc->bn_->is_training());
  net.train();
  CHECK(net.enc->bn_->is_training());
  sum(net(test::random_tensor({2, 2, 4, 4}, -1, 1, 3))).backward();
  for (const Tensor& p : net.parameters()) CHECK(p.grad().defined());
  net.zero_grad();
  for (const Tensor& p : net.parameters()) CHECK(!p.grad().defined());
}

TEST_CASE("Module: load_state_dict copies in place, strictly, and checks everything first") {
  Generator g1(3), g2(4);
  Net a(g1), b(g2);
  const Tensor x = test::random_tensor({2, 2, 4, 4}, -1, 1, 5);
  a.eval(), b.eval();
  const Tensor before = b.head->weight();
  b.load_state_dict(a.state_dict());
  CHECK(b.head->weight().impl_ptr() == before.impl_ptr());  // same tensor, new values
  CHECK(b(x).to_vector() == a(x).to_vector());

  NamedTensors sd = a.state_dict();
  sd.pop_back();
  CHECK(contains(error_of([&] { b.load_state_dict(sd, "ckpt.safetensors"); }),
                 "ckpt.safetensors: no tensor 'head.bias' (the Net has it)"));
  sd = a.state_dict();
  sd[1].second = Tensor::zeros({3, 2, 5, 5});
  CHECK(contains(error_of([&] { b.load_state_dict(sd, "f"); }),
                 "f: tensor 'enc.conv.weight' is float32 [3, 2, 5, 5] but the Net expects float32 [3, 2, 3, 3]"));
  sd = a.state_dict();
  sd.emplace_back("extra", Tensor::zeros({1}));
  CHECK(contains(error_of([&] { b.load_state_dict(sd, "f"); }), "f: unexpected tensor 'extra'"));
  // A failed load changed nothing: the first entry still holds a's value, not the zeros.
  sd = a.state_dict();
  sd[0].second = Tensor::full({1}, 7.0f);
  sd[2].second = Tensor::zeros({4});  // wrong shape, found after entry 0
  CHECK(!error_of([&] { b.load_state_dict(sd); }).empty());
  CHECK(b.state_dict()[0].second.item() == a.state_dict()[0].second.item());
}

TEST_CASE("Module: registration errors; Sequential runs its children in order") {
  class Bad : public nn::Module {
   public:
    Bad() : Module("Bad") {
      register_parameter("w", Tensor::zeros({1}));
      register_buffer("w", Tensor::zeros({1}));
    }
  };
  CHECK(contains(error_of([] { Bad(); }), "Bad: member 'w' registered twice"));
  class Dotted : public nn::Module {
   public:
    Dotted() : Module("Dotted") { register_parameter("a.b", Tensor::zeros({1})); }
  };
  CHECK(contains(error_of([] { Dotted(); }), "Dotted: invalid member name 'a.b'"));

  Generator gen(6);
  nn::Sequential seq;
  seq.add(std::make_shared<nn::Conv2d>(nn::Conv2dOptions(1, 2, 3).padding(1), gen));
  seq.add(std::make_shared<nn::ReLU>());
  seq.add(std::make_shared<nn::MaxPool2d>(2));
  CHECK(seq.size() == 3);
  CHECK(names(seq.state_dict()) == std::vector<std::string>{"0.weight", "0.bias"});
  CHECK(seq(Tensor::ones({1, 1, 4, 4})).shape() == Shape{1, 2, 2, 2});
}

TEST_CASE("Module::to(cpu) keeps handles; replace_data swaps storage in place") {
  Generator gen(7);
  nn::Linear lin(3, 2, true, gen);
  const Tensor w = lin.weight();
  lin.to(Device::cpu());
  CHECK(lin.weight().impl_ptr() == w.impl_ptr());
  nn::replace_data(w, Tensor::zeros({2, 3}));
  CHECK(lin.weight().to_vector() == std::vector<float>(6, 0.0f));
  CHECK(lin.weight().requires_grad());
  CHECK(lin.device() == Device::cpu());
}
