// The paper's network (apps/nets/fbdnet.cpp) and the training-loss settings chosen for it:
// both prediction heads give logits, sides, edge and features at the input size; the "full"
// head's prediction is its own full-resolution output and trains (gradients reach its layers),
// the "half" head is the first reading unchanged (no extra modules); `--fusion mean` averages
// every side; runs written before the head existed read back as "half"; the boundary ramp
// scales the boundary weight by epoch; `--top-down 2` adds stage 2's lateral to the finest side
// and leaves every other module's initial weights as they were; `--decoder unet` refines every
// stage with two 3x3 convolutions and trains each of them through its side; bad settings are
// one-line errors; `--bam-stage 0` leaves out the boundary attention module and its edge output;
// `--block plain` drops the residual blocks' shortcuts; `--upsample transposed` gives the U-Net
// decoder U-Net's learned upsampling; `--stem none` and `--stage5-width 16` complete U-Net's
// skeleton (its parameters exactly, plus the paper's parts).
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <utility>

#include "apps/nets/net_registry.h"
#include "apps/train/run_config.h"
#include "apps/train/training_loss.h"
#include "tests/test_util.h"

using namespace fbd;
using namespace fbd::app;
using test::contains;
using test::error_of;

namespace {

std::shared_ptr<SegNet> fbdnet(const std::string& head, const std::string& fusion = "finest", int bam_stage = 2) {
  NetConfig c = fbdnet_first_reading();
  c.net = "fbdnet", c.width = 4, c.head = head, c.fusion = fusion, c.bam_stage = bam_stage;
  Generator gen(7);
  auto net = make_net(c, gen);
  net->eval();
  return net;
}

bool has_parameter(SegNet& net, const std::string& prefix) {
  for (const auto& [name, t] : net.named_parameters())
    if (name.rfind(prefix, 0) == 0) return true;
  return false;
}

// The squared norm of the gradients of the parameters whose names start with `prefix` (0 where
// none has a gradient).
double grad_norm(SegNet& net, const std::string& prefix) {
  double norm = 0;
  for (const auto& [name, w] : net.named_parameters())
    if (name.rfind(prefix, 0) == 0 && w.grad().defined())
      for (float g : w.grad().to_vector()) norm += double(g) * g;
  return norm;
}

// `net` in training mode on a [2, 1, 32, 48] batch: its prediction and its four sides come out
// at the input size. The output, for the caller to back-propagate.
SegOutput train_forward_at_input_size(SegNet& net) {
  net.train();
  const Tensor x = test::random_tensor({2, 1, 32, 48}, -1, 1, 5);
  SegOutput out = net.forward_seg(x);
  CHECK(out.pred.shape() == Shape{2, 1, 32, 48});
  REQUIRE(out.sides.size() == 4);
  for (const Tensor& s : out.sides) CHECK(s.shape() == Shape{2, 1, 32, 48});
  return out;
}

// A run's config.json written with `net`, read back as written and, with `key` (one of its
// lines) removed, as a run from before that setting existed.
std::pair<NetConfig, NetConfig> net_config_round_trip(const NetConfig& net, const std::string& key) {
  RunConfig rc;
  rc.data = "/x", rc.train_patients = {"P1"}, rc.test_patients = {"P2"};
  rc.net = net;
  std::string json = to_json(rc);
  const NetConfig now = run_config_from_json(json, "new.json").net;
  const size_t at = json.find(key);
  REQUIRE_MESSAGE(at != std::string::npos, key);
  json.erase(at, key.size());
  return {now, run_config_from_json(json, "old.json").net};
}

}  // namespace

TEST_CASE("fbdnet: both heads give the prediction, the sides, the edge and the features at the input size") {
  for (const char* head : {"full", "half"})
    for (int bam : {1, 2})
      for (const auto& [h, w] : {std::pair<int64_t, int64_t>{32, 32}, {64, 48}}) {
        const int64_t height = h, breadth = w;
        INFO("head " << head << ", boundary attention on stage " << bam << ", input " << height << "x" << breadth);
        const auto net = fbdnet(head, "finest", bam);
        const Tensor x = test::random_tensor({2, 1, h, w}, -1, 1, 5);
        const SegOutput out = net->forward_seg(x, true);
        CHECK(out.pred.shape() == Shape{2, 1, h, w});
        CHECK(out.edge.shape() == Shape{2, 1, h, w});
        REQUIRE(out.sides.size() == (std::string(head) == "full" ? 4u : 3u));
        for (const Tensor& s : out.sides) CHECK(s.shape() == out.pred.shape());
        // --fusion finest: the prediction is the first side (the layer-1 head, or side 3).
        CHECK(out.pred.to_vector() == out.sides[0].to_vector());
        REQUIRE(out.features.defined());
        CHECK(out.features.size(2) == h);
        CHECK(out.features.size(3) == w);
        for (float v : out.pred.to_vector()) REQUIRE(std::isfinite(v));
      }
}

TEST_CASE("fbdnet: the full head has its own layers on layer 1; the half head has none and predicts side 3") {
  const auto full = fbdnet("full"), half = fbdnet("half");
  for (const char* p : {"lateral1.", "head_fuse.", "head."}) {
    CHECK_MESSAGE(has_parameter(*full, p), p);
    CHECK_MESSAGE(!has_parameter(*half, p), p);
  }
  // Both networks share every other layer, initialised alike (the full head's modules come last).
  const NamedTensors pf = full->named_parameters(), ph = half->named_parameters();
  REQUIRE(pf.size() > ph.size());
  for (size_t i = 0; i < ph.size(); ++i) {
    CHECK(pf[i].first == ph[i].first);
    CHECK(pf[i].second.to_vector() == ph[i].second.to_vector());
  }
  // The same weights, so the half network's prediction is the full network's side 3, and the
  // full network predicts something else.
  const Tensor x = test::random_tensor({1, 1, 32, 32}, -1, 1, 9);
  const SegOutput a = full->forward_seg(x), b = half->forward_seg(x);
  CHECK(a.sides[1].to_vector() == b.pred.to_vector());
  CHECK(a.pred.to_vector() != b.pred.to_vector());
}

TEST_CASE("fbdnet: the full head trains: the loss of its prediction reaches its layers and stage 1") {
  const auto net = fbdnet("full");
  net->train();
  const Tensor x = test::random_tensor({2, 1, 32, 32}, -1, 1, 11);
  Tensor target = Tensor::zeros({2, 1, 32, 32});
  float* t = target.data<float>();
  for (int64_t i = 0; i < 2 * 32 * 32; ++i) t[i] = (i % 32 > 10 && i % 32 < 20 && (i / 32) % 32 > 12) ? 1.0f : 0.0f;
  const Tensor loss = mean(mul(sigmoid(net->forward_seg(x).pred), target));
  loss.backward();
  for (const char* p : {"head.", "head_fuse.", "lateral1.", "stage1."}) {
    INFO(p);
    const double norm = grad_norm(*net, p);
    CHECK(std::isfinite(norm));
    CHECK(norm > 0);
  }
}

TEST_CASE("fbdnet: --fusion mean averages every side, the layer-1 head's included") {
  const auto net = fbdnet("full", "mean");
  const SegOutput out = net->forward_seg(test::random_tensor({1, 1, 32, 32}, -1, 1, 13));
  REQUIRE(out.sides.size() == 4);
  const std::vector<float> pred = out.pred.to_vector();
  std::vector<std::vector<float>> sides;
  for (const Tensor& s : out.sides) sides.push_back(s.to_vector());
  for (size_t i = 0; i < pred.size(); i += 37) {
    const float m = (sides[0][i] + sides[1][i] + sides[2][i] + sides[3][i]) / 4.0f;
    CHECK(pred[i] == doctest::Approx(m).epsilon(1e-5));
  }
}

TEST_CASE("runs from before the head and loss settings existed read as the half head, alpha 0.25, gamma 2, no ramp") {
  RunConfig c;
  c.data = "/x";
  c.train_patients = {"P1"};
  c.test_patients = {"P2"};
  c.net = fbdnet_first_reading();
  c.net.head = "full", c.loss.alpha = 0.5f, c.loss.boundary_ramp = 5, c.loss.distance = "normalized";
  c.loss.side_weight = 0.5f, c.loss.gamma = 1.5f;
  std::string json = to_json(c);
  const RunConfig back = run_config_from_json(json, "new.json");
  CHECK(back.net.head == "full");
  CHECK(back.loss.alpha == 0.5f);
  CHECK(back.loss.boundary_ramp == 5);
  CHECK(back.loss.distance == "normalized");
  CHECK(back.loss.side_weight == 0.5f);
  CHECK(back.loss.gamma == 1.5f);
  for (const char* key : {"\"head\": \"full\",", "\"alpha\": 0.5,", "\"gamma\": 1.5,", "\"boundary_ramp\": 5,",
                          "\"distance\": \"normalized\",", ",\n    \"side_weight\": 0.5"}) {
    const size_t at = json.find(key);
    REQUIRE_MESSAGE(at != std::string::npos, key);
    json.erase(at, std::string(key).size());
  }
  const RunConfig old = run_config_from_json(json, "old.json");
  CHECK(old.net.head == "half");
  CHECK(old.loss.alpha == 0.25f);
  CHECK(old.loss.boundary_ramp == 0);
  CHECK(old.loss.distance == "pixels");
  CHECK(old.loss.side_weight == 1.0f);
  CHECK(old.loss.gamma == 2.0f);
}

TEST_CASE("--distance normalized: the training targets' distance map is the pixel one over its largest |phi|") {
  std::vector<float> m(2 * 16 * 16, 0.0f);
  for (int y = 3; y < 9; ++y)
    for (int x = 4; x < 7; ++x) m[size_t(y * 16 + x)] = 1.0f;  // image 0: a 6x3 box; image 1 empty
  const Tensor mask = Tensor::from_vector(m, {2, 1, 16, 16});
  LossConfig c;
  c.distance = "pixels";
  const Targets px = prepare_targets(c, mask, Tensor());
  c.distance = "normalized";
  const Targets nrm = prepare_targets(c, mask, Tensor());
  REQUIRE(px.sdm.defined());
  REQUIRE(nrm.sdm.defined());
  const auto a = px.sdm.to_vector(), b = nrm.sdm.to_vector();
  float top = 0;
  for (size_t i = 0; i < 256; ++i) top = std::max(top, std::fabs(a[i]));
  REQUIRE(top > 10.0f);  // in pixels, the far corner is more than 10 away
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("pixel " << i);
    CHECK(b[i] == (i < 256 ? doctest::Approx(a[i] / top) : doctest::Approx(0.0)));
  }
  CHECK(nrm.mask.to_vector() == m);
}

TEST_CASE("the boundary ramp: epoch e trains with min(1, e / ramp) of the boundary weight, the others unchanged") {
  LossConfig c;
  c.weights = {0.5f, 0.3f, 0.2f};
  c.boundary_ramp = 4;
  const float expect[] = {0.05f, 0.1f, 0.15f, 0.2f, 0.2f, 0.2f};
  for (int e = 1; e <= 6; ++e) {
    INFO("epoch " << e);
    const LossConfig at = loss_config_at_epoch(c, e);
    CHECK(at.weights[0] == 0.5f);
    CHECK(at.weights[1] == 0.3f);
    CHECK(at.weights[2] == doctest::Approx(expect[e - 1]));
    CHECK(loss_settings_of(at).w_boundary == doctest::Approx(expect[e - 1]));
  }
  c.boundary_ramp = 0;
  CHECK(loss_config_at_epoch(c, 1).weights[2] == 0.2f);
  c.alpha = -1.0f, c.gamma = 0.0f;
  CHECK(loss_settings_of(c).alpha == -1.0f);
  CHECK(loss_settings_of(c).gamma == 0.0f);
}

TEST_CASE("fbdnet --top-down 2: stage 2's lateral feeds the finest side and trains; 3 is the first reading") {
  NetConfig c = fbdnet_first_reading();
  c.net = "fbdnet", c.width = 4;
  Generator g3(7);
  const auto net3 = make_net(c, g3);
  c.top_down = 2;
  Generator g2(7);
  const auto net2 = make_net(c, g2);
  CHECK_FALSE(has_parameter(*net3, "lateral2."));
  REQUIRE(has_parameter(*net2, "lateral2."));
  // The extra module is registered last: every module the two share starts from the same weights.
  const auto p3 = net3->named_parameters();
  const auto p2 = net2->named_parameters();
  REQUIRE(p2.size() > p3.size());
  for (size_t i = 0; i < p3.size(); ++i) {
    INFO(p3[i].first);
    CHECK(p3[i].first == p2[i].first);
    CHECK(p3[i].second.to_vector() == p2[i].second.to_vector());
  }
  const Tensor x = test::random_tensor({2, 1, 32, 32}, -1, 1, 17);
  net2->train();
  const SegOutput out = net2->forward_seg(x);
  REQUIRE(out.sides.size() == 4);
  for (const Tensor& s : out.sides) CHECK(s.shape() == Shape{2, 1, 32, 32});
  // The finest side at stage-2 resolution (listed second, after the layer-1 head) reads stage 2's
  // lateral: its loss alone reaches lateral2's weights. The deeper sides do not read it.
  mean(out.sides[1]).backward();
  CHECK(grad_norm(*net2, "lateral2.") > 0);
  net2->zero_grad();
  const SegOutput out2 = net2->forward_seg(x);
  mean(out2.sides[3]).backward();
  CHECK(grad_norm(*net2, "lateral2.") == 0);
  // A run's config records it; runs from before it read as 3.
  NetConfig written = fbdnet_first_reading();
  written.top_down = 2;
  const auto [now, old] = net_config_round_trip(written, "\"top_down\": 2,");
  CHECK(now.top_down == 2);
  CHECK(old.top_down == 3);
}

TEST_CASE("fbdnet --decoder unet: a side per decoder stage, the full-resolution head, every stage trained") {
  NetConfig c = fbdnet_first_reading();
  c.net = "fbdnet", c.width = 4, c.decoder = "unet";
  Generator gen(7);
  const auto net = make_net(c, gen);
  for (const char* m : {"dec1.", "dec2.", "dec3.", "dec4.", "side2.", "side3.", "side4.", "head.", "bam."})
    CHECK_MESSAGE(has_parameter(*net, m), m);
  for (const char* m : {"lateral3.", "fuse3.", "head_fuse.", "lateral1.", "side5."})
    CHECK_MESSAGE(!has_parameter(*net, m), m);
  net->train();
  const Tensor x = test::random_tensor({2, 1, 32, 48}, -1, 1, 17);
  const SegOutput out = net->forward_seg(x, true);
  REQUIRE(out.sides.size() == 4);
  for (const Tensor& s : out.sides) CHECK(s.shape() == Shape{2, 1, 32, 48});
  CHECK(out.edge.shape() == Shape{2, 1, 32, 48});
  CHECK(out.features.shape() == Shape{2, 4, 32, 48});  // the decoder's stage 1, width c
  CHECK(out.pred.to_vector() == out.sides[0].to_vector());
  // The head reads the decoder's stage 1, which reads the stage-1 encoder features: the head's
  // loss reaches the stem. The side on the decoder's stage 2 does not reach dec1 but does reach
  // the boundary attention module, whose edge features join that stage.
  mean(out.sides[0]).backward();
  CHECK(grad_norm(*net, "stem.") > 0);
  CHECK(grad_norm(*net, "dec1.") > 0);
  net->zero_grad();
  const SegOutput out2 = net->forward_seg(x);
  mean(out2.sides[1]).backward();
  CHECK(grad_norm(*net, "dec1.") == 0);
  CHECK(grad_norm(*net, "dec2.") > 0);
  CHECK(grad_norm(*net, "bam.") > 0);
  // The deepest side (the decoder's stage 4) reads neither stage 2's decoder nor the edge features.
  net->zero_grad();
  const SegOutput out3 = net->forward_seg(x);
  mean(out3.sides[3]).backward();
  CHECK(grad_norm(*net, "dec2.") == 0);
  CHECK(grad_norm(*net, "bam.") == 0);
  CHECK(grad_norm(*net, "dec4.") > 0);
  // A run's config records it; runs from before it read as fpn.
  NetConfig written = fbdnet_first_reading();
  written.decoder = "unet";
  const auto [now, old] = net_config_round_trip(written, "\"decoder\": \"unet\",");
  CHECK(now.decoder == "unet");
  CHECK(old.decoder == "fpn");
}

TEST_CASE("fbdnet --upsample transposed: a learned 2x upsampling per decoder stage, to the stage's width, trained") {
  NetConfig c = fbdnet_first_reading();
  c.net = "fbdnet", c.width = 4, c.decoder = "unet", c.upsample = "transposed";
  Generator gen(7);
  const auto net = make_net(c, gen);
  // up4 brings stage 5's 8c to stage 4's 8c, up1 stage 2's 2c to stage 1's c: 2x2 kernels.
  std::map<std::string, Shape> shapes;
  for (const auto& [name, t] : net->named_parameters()) shapes[name] = t.shape();
  CHECK(shapes.at("up4.weight") == Shape{32, 32, 2, 2});
  CHECK(shapes.at("up1.weight") == Shape{8, 4, 2, 2});
  // Each refinement reads twice the stage's width (stage 2: plus the edge features, 2c).
  CHECK(shapes.at("dec1.a.conv.weight") == Shape{4, 8, 3, 3});
  CHECK(shapes.at("dec2.a.conv.weight") == Shape{8, 24, 3, 3});
  for (const char* downsample : {"stride", "maxpool"}) {
    INFO("downsample " << downsample);
    c.downsample = downsample;
    Generator g(7);
    const auto n = make_net(c, g);
    mean(train_forward_at_input_size(*n).pred).backward();  // the prediction trains every upsampling
    for (const char* m : {"up1.", "up2.", "up3.", "up4.", "stem."}) CHECK_MESSAGE(grad_norm(*n, m) > 0, m);
  }
  // A run's config records it; runs from before it read as bilinear; the fpn decoder refuses it.
  NetConfig written = fbdnet_first_reading();
  written.decoder = "unet", written.upsample = "transposed";
  const auto [now, old] = net_config_round_trip(written, "\"upsample\": \"transposed\",");
  CHECK(now.upsample == "transposed");
  CHECK(old.upsample == "bilinear");
  NetConfig fpn = fbdnet_first_reading();
  fpn.upsample = "transposed";
  CHECK(contains(error_of([&] { check_net_config(fpn); }), "--upsample transposed goes with --decoder unet"));
  fpn.upsample = "nearest";
  CHECK(contains(error_of([&] { check_net_config(fpn); }),
                 "unknown upsampling 'nearest': expected bilinear or transposed"));
}

TEST_CASE("fbdnet --downsample maxpool: pooled instead of strided, the same sizes, one projection fewer") {
  NetConfig c = fbdnet_first_reading();
  c.net = "fbdnet", c.width = 4;
  Generator gs(7);
  const auto strided = make_net(c, gs);
  c.downsample = "maxpool";
  Generator gm(7);
  const auto pooled = make_net(c, gm);
  // Stage 5 keeps stage 4's width (8c): at stride 1 its first block needs no projection.
  std::vector<std::string> only_strided;
  for (const auto& [name, t] : strided->named_parameters())
    if (!has_parameter(*pooled, name)) only_strided.push_back(name);
  CHECK(only_strided ==
        std::vector<std::string>{"stage5.0.proj.weight", "stage5.0.proj_bn.weight", "stage5.0.proj_bn.bias"});
  CHECK(pooled->named_parameters().size() + 3 == strided->named_parameters().size());
  mean(train_forward_at_input_size(*pooled).sides[3])
      .backward();  // the deepest side reaches stage 5 and, through it, the stem
  CHECK(grad_norm(*pooled, "stage5.") > 0);
  CHECK(grad_norm(*pooled, "stem.") > 0);
  // A run's config records it; runs from before it read as stride.
  NetConfig written = fbdnet_first_reading();
  written.downsample = "maxpool";
  const auto [now, old] = net_config_round_trip(written, "\"downsample\": \"maxpool\",");
  CHECK(now.downsample == "maxpool");
  CHECK(old.downsample == "stride");
}

TEST_CASE("fbdnet --block plain: two 3x3 convolutions per block, no shortcut, the same sizes, and it trains") {
  for (const char* downsample : {"stride", "maxpool"}) {
    INFO("downsample " << downsample);
    NetConfig c = fbdnet_first_reading();
    c.net = "fbdnet", c.width = 4, c.downsample = downsample;
    Generator gr(7);
    const auto residual = make_net(c, gr);
    c.block = "plain";
    Generator gp(7);
    const auto plain = make_net(c, gp);
    // A plain block is a residual block without its shortcut: conv1/bn1 and conv2/bn2 become
    // a.conv/a.bn and b.conv/b.bn, and no projection.
    for (int s = 1; s <= 5; ++s) {
      const std::string stage = "stage" + std::to_string(s) + ".0.";
      CHECK(has_parameter(*plain, stage + "a.conv.weight"));
      CHECK(has_parameter(*plain, stage + "b.bn.bias"));
      CHECK(!has_parameter(*plain, stage + "conv1."));
      CHECK(!has_parameter(*plain, stage + "proj"));
    }
    int64_t projections = 0;
    for (const auto& [name, t] : residual->named_parameters()) projections += name.find(".proj") != std::string::npos;
    CHECK(projections > 0);
    CHECK(plain->named_parameters().size() + projections == residual->named_parameters().size());
    mean(train_forward_at_input_size(*plain).sides[3])
        .backward();  // the deepest side reaches stage 5 and, through it, the stem
    CHECK(grad_norm(*plain, "stage5.") > 0);
    CHECK(grad_norm(*plain, "stem.") > 0);
  }
  // A run's config records it; runs from before it read as residual.
  NetConfig written = fbdnet_first_reading();
  written.block = "plain";
  const auto [now, old] = net_config_round_trip(written, "\"block\": \"plain\",");
  CHECK(now.block == "plain");
  CHECK(old.block == "residual");
}

TEST_CASE("fbdnet --stem none --stage5-width 16: U-Net's encoder and decoder under the paper's parts, and it trains") {
  // With the U-Net decoder, transposed upsampling, max pooling and plain blocks, no stem and a
  // 16c stage 5 leave fbdnet's encoder and decoder exactly U-Net's: without the boundary
  // attention module its parameters are U-Net's plus the three 1x1 side heads.
  NetConfig c = fbdnet_first_reading();
  c.net = "fbdnet", c.width = 4, c.decoder = "unet", c.upsample = "transposed", c.downsample = "maxpool";
  c.block = "plain", c.stem = "none", c.stage5_width = 16, c.bam_stage = 0, c.in_channels = 2;
  Generator gen(7);
  const auto net = make_net(c, gen);
  CHECK(!has_parameter(*net, "stem."));
  std::map<std::string, Shape> shapes;
  for (const auto& [name, t] : net->named_parameters()) shapes[name] = t.shape();
  CHECK(shapes.at("stage1.0.a.conv.weight") == Shape{4, 2, 3, 3});  // stage 1 reads both image channels
  CHECK(shapes.at("stage5.0.a.conv.weight") == Shape{64, 32, 3, 3});
  CHECK(shapes.at("up4.weight") == Shape{64, 32, 2, 2});
  NetConfig u;
  u.net = "unet", u.width = 4, u.in_channels = 2;
  Generator gu(7);
  const int64_t sides = (2 * 4 + 1) + (4 * 4 + 1) + (8 * 4 + 1);  // side2-side4: 1x1 convolutions with bias
  CHECK(net->num_parameters() == make_net(u, gu)->num_parameters() + sides);
  // The paper's parts on it train: the edge output, every side and stage 1 get gradients.
  c.bam_stage = 2, c.in_channels = 1;
  Generator g2(7);
  const auto full = make_net(c, g2);
  SegOutput out = train_forward_at_input_size(*full);
  REQUIRE(out.edge.defined());
  add(mean(out.sides[3]), mean(out.edge)).backward();
  for (const char* m : {"stage1.", "stage5.", "bam.", "side4."}) CHECK_MESSAGE(grad_norm(*full, m) > 0, m);
  // Either alone works on the default network too.
  for (const auto& [stem, width5] : {std::pair<const char*, int>{"none", 8}, {"conv", 16}}) {
    const std::string stem_name = stem;
    const int w5 = width5;
    INFO("stem " << stem_name << ", stage 5 at " << w5 << "c");
    NetConfig d = fbdnet_first_reading();
    d.net = "fbdnet", d.width = 4, d.stem = stem_name, d.stage5_width = w5;
    Generator gd(7);
    const auto n = make_net(d, gd);
    CHECK(has_parameter(*n, "stem.") == (stem_name == "conv"));
    mean(train_forward_at_input_size(*n).pred).backward();
    CHECK(grad_norm(*n, "stage1.") > 0);
  }
  // A run's config records both; runs from before them read as the first reading.
  NetConfig written = fbdnet_first_reading();
  written.stem = "none";
  const auto [now, old] = net_config_round_trip(written, "\"stem\": \"none\",");
  CHECK(now.stem == "none");
  CHECK(old.stem == "conv");
  written.stage5_width = 16;
  const auto [now16, old8] = net_config_round_trip(written, "\"stage5_width\": 16,");
  CHECK(now16.stage5_width == 16);
  CHECK(old8.stage5_width == 8);
  // Bad values are one-line errors.
  NetConfig bad;
  bad.stem = "patchify";
  CHECK(contains(error_of([&] { check_net_config(bad); }), "unknown stem 'patchify': expected conv or none"));
  bad = NetConfig{};
  bad.stage5_width = 4;
  CHECK(contains(error_of([&] { check_net_config(bad); }), "stage 5's width is 8 or 16 times --width, got 4"));
}

TEST_CASE("fbdnet --bam-stage 0: no boundary attention module, no edge output, the fbd loss without its edge term") {
  for (const char* decoder : {"fpn", "unet"}) {
    INFO("decoder " << decoder);
    NetConfig c = fbdnet_first_reading();
    c.net = "fbdnet", c.width = 4, c.decoder = decoder, c.bam_stage = 0;
    Generator gen(7);
    const auto net = make_net(c, gen);
    CHECK(!has_parameter(*net, "bam."));
    CHECK(!has_parameter(*net, "edge_head."));
    net->train();
    const Tensor x = test::random_tensor({2, 1, 32, 48}, -1, 1, 5);
    const SegOutput out = net->forward_seg(x, true);
    CHECK(!out.edge.defined());
    REQUIRE(out.sides.size() == 4);
    for (const Tensor& s : out.sides) CHECK(s.shape() == Shape{2, 1, 32, 48});
    CHECK(out.features.size(2) == 32);
    // The fbd loss trains it: the Dice, focal and boundary terms of every side, with an edge
    // target given but no edge output to compare it with.
    std::vector<float> m(2 * 32 * 48, 0.0f);
    for (int y = 10; y < 20; ++y)
      for (int xx = 12; xx < 30; ++xx) m[size_t(y * 48 + xx)] = 1.0f;
    const Tensor mask = Tensor::from_vector(m, {2, 1, 32, 48});
    const LossConfig loss;
    const Tensor l = training_loss(loss, *net, out, prepare_targets(loss, mask, mask));
    REQUIRE(std::isfinite(l.item()));
    l.backward();
    CHECK(grad_norm(*net, "stem.") > 0);
    CHECK(grad_norm(*net, "stage2.") > 0);
  }
  // One without the module has its five parameters fewer (conv, batch norm, edge head).
  NetConfig with = fbdnet_first_reading(), without = fbdnet_first_reading();
  with.net = without.net = "fbdnet", with.width = without.width = 4, without.bam_stage = 0;
  Generator g1(7), g2(7);
  CHECK(make_net(without, g2)->named_parameters().size() + 5 == make_net(with, g1)->named_parameters().size());
  // A run's config records it.
  RunConfig rc;
  rc.data = "/x", rc.train_patients = {"P1"}, rc.test_patients = {"P2"}, rc.net = without;
  CHECK(run_config_from_json(to_json(rc), "run.json").net.bam_stage == 0);
}

TEST_CASE("a bad head, top-down stage, decoder, block, alpha or boundary ramp is a one-line error") {
  NetConfig n;
  n.head = "quarter";
  CHECK(contains(error_of([&] { check_net_config(n); }), "unknown head 'quarter': expected full or half"));
  n = NetConfig{};
  n.top_down = 1;
  CHECK(contains(error_of([&] { check_net_config(n); }), "the top-down path reaches stage 2 or 3, got 1"));
  n = NetConfig{};
  n.decoder = "fcn";
  CHECK(contains(error_of([&] { check_net_config(n); }), "unknown decoder 'fcn': expected fpn or unet"));
  n.decoder = "unet", n.head = "half";
  CHECK(contains(error_of([&] { check_net_config(n); }), "--head half and --top-down 2 go with --decoder fpn"));
  n.head = "full", n.top_down = 2;
  CHECK(contains(error_of([&] { check_net_config(n); }), "--head half and --top-down 2 go with --decoder fpn"));
  n = NetConfig{};
  n.bam_stage = 3;
  CHECK(contains(error_of([&] { check_net_config(n); }),
                 "the boundary attention module goes on stage 1 or 2 (0: none), got 3"));
  n = NetConfig{};
  n.downsample = "avgpool";
  CHECK(contains(error_of([&] { check_net_config(n); }), "unknown downsampling 'avgpool': expected stride or maxpool"));
  n = NetConfig{};
  n.block = "dense";
  CHECK(contains(error_of([&] { check_net_config(n); }), "unknown block 'dense': expected residual or plain"));
  LossConfig l;
  l.alpha = 1.5f;
  CHECK(contains(error_of([&] { check_loss_config(l); }), "--alpha must be at most 1"));
  l.alpha = NAN;
  CHECK(contains(error_of([&] { check_loss_config(l); }), "--alpha must be at most 1"));
  l = LossConfig{};
  l.gamma = -1.0f;
  CHECK(contains(error_of([&] { check_loss_config(l); }), "--gamma must be in [0, 10], got -1"));
  l = LossConfig{};
  l.side_weight = -0.5f;
  CHECK(contains(error_of([&] { check_loss_config(l); }), "--side-weight must be a non-negative number, got -0.5"));
  l = LossConfig{};
  l.distance = "metres";
  CHECK(
      contains(error_of([&] { check_loss_config(l); }), "unknown --distance 'metres': expected pixels or normalized"));
  l = LossConfig{};
  l.boundary_ramp = -2;
  CHECK(contains(error_of([&] { check_loss_config(l); }), "--boundary-ramp must be a non-negative"));
}
