// Inception-v3: Szegedy, Vanhoucke, Ioffe, Shlens & Wojna, "Rethinking the Inception
// Architecture for Computer Vision", CVPR 2016, in the layout of the released model that
// torchvision's inception_v3 reproduces (module names as torchvision's). Every convolution is a
// BasicConv2d: conv without bias, batch norm (eps 0.001), ReLU.
//
//   stem      Conv2d_1a 3x3/2 (32), 2a 3x3 (32), 2b 3x3 pad 1 (64), max 3x3/2, 3b 1x1 (80),
//             4a 3x3 (192), max 3x3/2                                  (299 px -> 35 x 35)
//   Mixed_5b-d  InceptionA: 1x1 | 1x1, 5x5 | 1x1, 3x3, 3x3 | avg 3x3, 1x1 (32, 64, 64) -> 288
//   Mixed_6a    InceptionB, a grid reduction: 3x3/2 | 1x1, 3x3, 3x3/2 | max 3x3/2  -> 17 x 17, 768
//   Mixed_6b-e  InceptionC, the factorised 7x7: 1x1 | 1x1, 1x7, 7x1 | 1x1, 7x1, 1x7, 7x1, 1x7 |
//               avg 3x3, 1x1, with 128, 160, 160, 192 channels inside the 7x7 branches
//   Mixed_7a    InceptionD, a grid reduction: 1x1, 3x3/2 | 1x1, 1x7, 7x1, 3x3/2 | max 3x3/2 -> 8 x 8
//   Mixed_7b-c  InceptionE, the expanded filter bank: 1x1 | 1x1, (1x3 | 3x1) | 1x1, 3x3,
//               (1x3 | 3x1) | avg 3x3, 1x1                                    -> 2048
//   head      global average pooling, dropout 0.5, FC (here one logit)
//
// Simplifications. The auxiliary classifier on Mixed_6e (a training-time regulariser whose 5x5
// pooling of stride 3 needs the 17 x 17 grid) is left out. The stem keeps the paper's three
// stride-2 steps down to 75 px inputs (the smallest whose last grid reduction still has a 3 x 3
// grid to work on); below that, Conv2d_1a has stride 1 (39-74 px: 64 px gives grids of 13, 6
// and 2), and below 39 px maxpool1 goes as well (21-38 px), so the blocks keep their paper
// form at every size. Width multiplier m: every convolution's channels. Initialisation as
// torchvision's: convolutions and the dense layer N(0, 0.1) (its truncation at +-2 never
// bites), batch norm 1 and 0.
#include "apps/classify/cnn_common.h"
#include "core/error.h"

namespace fbd::app {

int inceptionv3_stem_reductions(int64_t input_size) {
  FBD_CHECK(input_size >= 21, "inceptionv3 needs --input-size of at least 21, got ", input_size);
  return input_size >= 75 ? 3 : input_size >= 39 ? 2 : 1;
}

namespace {

// conv (no bias) -> batch norm (eps 0.001) -> ReLU, torchvision's BasicConv2d.
class BasicConv2d : public nn::Module {
 public:
  BasicConv2d(int64_t in, int64_t out, std::pair<int64_t, int64_t> k, std::pair<int64_t, int64_t> pad, int64_t stride,
              Generator& gen)
      : Module("BasicConv2d") {
    conv_ = register_module("conv", std::make_shared<nn::Conv2d>(nn::Conv2dOptions(in, out, k.first)
                                                                     .kernel_size(k.first, k.second)
                                                                     .padding(pad.first, pad.second)
                                                                     .stride(stride)
                                                                     .bias(false),
                                                                 gen));
    Tensor w = conv_->weight();
    normal_(w, 0.0f, 0.1f, gen);
    bn_ = register_module("bn", std::make_shared<nn::BatchNorm2d>(nn::BatchNorm2dOptions(out).eps(0.001)));
  }
  Tensor forward(const Tensor& x) override { return relu(bn_->forward(conv_->forward(x))); }
  int64_t out_channels() const { return conv_->options().out_channels; }

 private:
  std::shared_ptr<nn::Conv2d> conv_;
  std::shared_ptr<nn::BatchNorm2d> bn_;
};

// The blocks below build their convolutions through this: channels scaled by the multiplier.
struct Builder {
  double m;
  Generator& gen;
  int64_t ch(int64_t c) const { return scaled_channels(c, m); }
  std::shared_ptr<BasicConv2d> conv(int64_t in, int64_t out, int64_t k, int64_t stride = 1, int64_t pad = 0) const {
    return std::make_shared<BasicConv2d>(in, out, std::pair{k, k}, std::pair{pad, pad}, stride, gen);
  }
  // A 1 x k (wide) or k x 1 (tall) convolution with "same" padding.
  std::shared_ptr<BasicConv2d> wide(int64_t in, int64_t out, int64_t k) const {
    return std::make_shared<BasicConv2d>(in, out, std::pair{int64_t(1), k}, std::pair{int64_t(0), k / 2}, 1, gen);
  }
  std::shared_ptr<BasicConv2d> tall(int64_t in, int64_t out, int64_t k) const {
    return std::make_shared<BasicConv2d>(in, out, std::pair{k, int64_t(1)}, std::pair{k / 2, int64_t(0)}, 1, gen);
  }
};

Tensor avg3x3(const Tensor& x) { return nn::avg_pool2d(x, nn::PoolParams::square(3, 1, 1)); }
Tensor max3x3s2(const Tensor& x) { return nn::max_pool2d(x, nn::PoolParams::square(3, 2, 0)); }

class InceptionBlock : public nn::Module {
 public:
  using nn::Module::Module;
  int64_t out_channels() const { return out_; }

 protected:
  template <typename M>
  std::shared_ptr<M> add(const std::string& name, std::shared_ptr<M> m) {
    return register_module(name, std::move(m));
  }
  int64_t out_ = 0;
};

class InceptionA : public InceptionBlock {
 public:
  InceptionA(int64_t in, int64_t pool_features, const Builder& b) : InceptionBlock("InceptionA") {
    b1_ = add("branch1x1", b.conv(in, b.ch(64), 1));
    b5_1_ = add("branch5x5_1", b.conv(in, b.ch(48), 1));
    b5_2_ = add("branch5x5_2", b.conv(b.ch(48), b.ch(64), 5, 1, 2));
    b3_1_ = add("branch3x3dbl_1", b.conv(in, b.ch(64), 1));
    b3_2_ = add("branch3x3dbl_2", b.conv(b.ch(64), b.ch(96), 3, 1, 1));
    b3_3_ = add("branch3x3dbl_3", b.conv(b.ch(96), b.ch(96), 3, 1, 1));
    bp_ = add("branch_pool", b.conv(in, b.ch(pool_features), 1));
    out_ = b.ch(64) + b.ch(64) + b.ch(96) + b.ch(pool_features);
  }
  Tensor forward(const Tensor& x) override {
    return nn::concat_channels({b1_->forward(x), b5_2_->forward(b5_1_->forward(x)),
                                b3_3_->forward(b3_2_->forward(b3_1_->forward(x))), bp_->forward(avg3x3(x))});
  }

 private:
  std::shared_ptr<BasicConv2d> b1_, b5_1_, b5_2_, b3_1_, b3_2_, b3_3_, bp_;
};

class InceptionB : public InceptionBlock {
 public:
  InceptionB(int64_t in, const Builder& b) : InceptionBlock("InceptionB") {
    b3_ = add("branch3x3", b.conv(in, b.ch(384), 3, 2));
    d1_ = add("branch3x3dbl_1", b.conv(in, b.ch(64), 1));
    d2_ = add("branch3x3dbl_2", b.conv(b.ch(64), b.ch(96), 3, 1, 1));
    d3_ = add("branch3x3dbl_3", b.conv(b.ch(96), b.ch(96), 3, 2));
    out_ = b.ch(384) + b.ch(96) + in;
  }
  Tensor forward(const Tensor& x) override {
    return nn::concat_channels({b3_->forward(x), d3_->forward(d2_->forward(d1_->forward(x))), max3x3s2(x)});
  }

 private:
  std::shared_ptr<BasicConv2d> b3_, d1_, d2_, d3_;
};

class InceptionC : public InceptionBlock {
 public:
  InceptionC(int64_t in, int64_t c7, const Builder& b) : InceptionBlock("InceptionC") {
    const int64_t c = b.ch(c7), o = b.ch(192);
    b1_ = add("branch1x1", b.conv(in, o, 1));
    s1_ = add("branch7x7_1", b.conv(in, c, 1));
    s2_ = add("branch7x7_2", b.wide(c, c, 7));
    s3_ = add("branch7x7_3", b.tall(c, o, 7));
    d1_ = add("branch7x7dbl_1", b.conv(in, c, 1));
    d2_ = add("branch7x7dbl_2", b.tall(c, c, 7));
    d3_ = add("branch7x7dbl_3", b.wide(c, c, 7));
    d4_ = add("branch7x7dbl_4", b.tall(c, c, 7));
    d5_ = add("branch7x7dbl_5", b.wide(c, o, 7));
    bp_ = add("branch_pool", b.conv(in, o, 1));
    out_ = 4 * o;
  }
  Tensor forward(const Tensor& x) override {
    const Tensor s = s3_->forward(s2_->forward(s1_->forward(x)));
    const Tensor d = d5_->forward(d4_->forward(d3_->forward(d2_->forward(d1_->forward(x)))));
    return nn::concat_channels({b1_->forward(x), s, d, bp_->forward(avg3x3(x))});
  }

 private:
  std::shared_ptr<BasicConv2d> b1_, s1_, s2_, s3_, d1_, d2_, d3_, d4_, d5_, bp_;
};

class InceptionD : public InceptionBlock {
 public:
  InceptionD(int64_t in, const Builder& b) : InceptionBlock("InceptionD") {
    const int64_t o = b.ch(192);
    a1_ = add("branch3x3_1", b.conv(in, o, 1));
    a2_ = add("branch3x3_2", b.conv(o, b.ch(320), 3, 2));
    s1_ = add("branch7x7x3_1", b.conv(in, o, 1));
    s2_ = add("branch7x7x3_2", b.wide(o, o, 7));
    s3_ = add("branch7x7x3_3", b.tall(o, o, 7));
    s4_ = add("branch7x7x3_4", b.conv(o, o, 3, 2));
    out_ = b.ch(320) + o + in;
  }
  Tensor forward(const Tensor& x) override {
    return nn::concat_channels({a2_->forward(a1_->forward(x)),
                                s4_->forward(s3_->forward(s2_->forward(s1_->forward(x)))), max3x3s2(x)});
  }

 private:
  std::shared_ptr<BasicConv2d> a1_, a2_, s1_, s2_, s3_, s4_;
};

class InceptionE : public InceptionBlock {
 public:
  InceptionE(int64_t in, const Builder& b) : InceptionBlock("InceptionE") {
    const int64_t c = b.ch(384);
    b1_ = add("branch1x1", b.conv(in, b.ch(320), 1));
    t1_ = add("branch3x3_1", b.conv(in, c, 1));
    t2a_ = add("branch3x3_2a", b.wide(c, c, 3));
    t2b_ = add("branch3x3_2b", b.tall(c, c, 3));
    d1_ = add("branch3x3dbl_1", b.conv(in, b.ch(448), 1));
    d2_ = add("branch3x3dbl_2", b.conv(b.ch(448), c, 3, 1, 1));
    d3a_ = add("branch3x3dbl_3a", b.wide(c, c, 3));
    d3b_ = add("branch3x3dbl_3b", b.tall(c, c, 3));
    bp_ = add("branch_pool", b.conv(in, b.ch(192), 1));
    out_ = b.ch(320) + 4 * c + b.ch(192);
  }
  Tensor forward(const Tensor& x) override {
    const Tensor t = t1_->forward(x), d = d2_->forward(d1_->forward(x));
    return nn::concat_channels({b1_->forward(x), t2a_->forward(t), t2b_->forward(t), d3a_->forward(d),
                                d3b_->forward(d), bp_->forward(avg3x3(x))});
  }

 private:
  std::shared_ptr<BasicConv2d> b1_, t1_, t2a_, t2b_, d1_, d2_, d3a_, d3b_, bp_;
};

class InceptionV3 : public CnnNet {
 public:
  InceptionV3(const CnnConfig& c, Generator& gen) : CnnNet("InceptionV3", c, gen) {
    const Builder b{c.width_mult, gen};
    reductions_ = inceptionv3_stem_reductions(c.input_size);
    stem_.push_back(register_module("Conv2d_1a_3x3", b.conv(1, b.ch(32), 3, reductions_ == 3 ? 2 : 1)));
    stem_.push_back(register_module("Conv2d_2a_3x3", b.conv(b.ch(32), b.ch(32), 3)));
    stem_.push_back(register_module("Conv2d_2b_3x3", b.conv(b.ch(32), b.ch(64), 3, 1, 1)));
    conv3b_ = register_module("Conv2d_3b_1x1", b.conv(b.ch(64), b.ch(80), 1));
    conv4a_ = register_module("Conv2d_4a_3x3", b.conv(b.ch(80), b.ch(192), 3));
    int64_t in = b.ch(192);
    auto block = [&](const std::string& name, std::shared_ptr<InceptionBlock> m) {
      blocks_.push_back(register_module(name, m));
      in = m->out_channels();
    };
    block("Mixed_5b", std::make_shared<InceptionA>(in, 32, b));
    block("Mixed_5c", std::make_shared<InceptionA>(in, 64, b));
    block("Mixed_5d", std::make_shared<InceptionA>(in, 64, b));
    block("Mixed_6a", std::make_shared<InceptionB>(in, b));
    const std::pair<const char*, int64_t> mixed6[] = {{"Mixed_6b", 128}, {"Mixed_6c", 160}, {"Mixed_6d", 160},
                                                       {"Mixed_6e", 192}};
    for (const auto& [name, c7] : mixed6) block(name, std::make_shared<InceptionC>(in, c7, b));
    block("Mixed_7a", std::make_shared<InceptionD>(in, b));
    block("Mixed_7b", std::make_shared<InceptionE>(in, b));
    block("Mixed_7c", std::make_shared<InceptionE>(in, b));
    dropout_ = register_module("dropout", dropout(0.5f));
    fc_ = register_module("fc", std::make_shared<nn::Linear>(in, 1, true, gen));
    Tensor w = fc_->weight();
    normal_(w, 0.0f, 0.1f, gen);
  }

  Tensor forward(const Tensor& x) override {
    Tensor y = x;
    for (const auto& conv : stem_) y = conv->forward(y);
    if (reductions_ >= 2) y = max3x3s2(y);
    y = conv4a_->forward(conv3b_->forward(y));
    y = max3x3s2(y);
    for (const auto& block : blocks_) y = block->forward(y);
    return fc_->forward(dropout_->forward(flatten(nn::global_avg_pool2d(y))));
  }

 private:
  int reductions_ = 3;
  std::vector<std::shared_ptr<BasicConv2d>> stem_;
  std::shared_ptr<BasicConv2d> conv3b_, conv4a_;
  std::vector<std::shared_ptr<InceptionBlock>> blocks_;
  std::shared_ptr<nn::Dropout> dropout_;
  std::shared_ptr<nn::Linear> fc_;
};

}  // namespace

std::shared_ptr<nn::Module> make_inceptionv3(const CnnConfig& c, Generator& gen) {
  return std::make_shared<InceptionV3>(c, gen);
}

}  // namespace fbd::app
