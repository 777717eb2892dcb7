// The loss registry (losses/loss_registry.h): the table is consistent (names, settings,
// kernel families with their files), every row computes its loss as the op it names (held
// against the PyTorch golden files of tests/reference/make_loss_fixtures.py), every row's
// gradient passes a finite-difference check, and deep supervision sums any training row.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <string>

#include "losses/edt.h"
#include "losses/loss_registry.h"
#include "losses/losses.h"
#include "tests/losses/loss_test_util.h"

using namespace fbd;
using test::loss_fixture;

namespace {

// The inputs of a row from the loss fixtures: binary logits [4,1,20,24] with their mask (or
// the edge map for the edge losses), or multi-class logits [3,4,14,18] with their labels.
LossInputs fixture_inputs(const LossInfo& row) {
  LossInputs in;
  const bool mc = (row.needs & kNeedsLabels) != 0;
  const std::string name = row.name;
  in.logits = loss_fixture(mc ? "mc_logits" : "bin_logits");
  if (row.needs != 0)
    in.target = mc ? loss_fixture("mc_labels")
                   : loss_fixture(name == "focal-edge" || name == "bce-edge" ? "bin_edge" : "bin_target");
  complete_loss_inputs(row, in);
  return in;
}

Tensor compute_at(const LossInfo& row, const LossInputs& in, const Tensor& x, const LossSettings& s = {}) {
  LossInputs at = in;
  at.logits = x;
  return row.compute(at, s);
}

}  // namespace

TEST_CASE("loss registry: names, settings and families are consistent") {
  std::set<std::string> names, used_settings;
  std::set<std::string> settings;
  for (const LossSetting& s : loss_settings()) {
    CHECK_MESSAGE(settings.insert(s.flag).second, "setting listed twice: " << s.flag);
    CHECK(int(s.number != nullptr) + int(s.on != nullptr) + int(s.numbers != nullptr) == 1);
  }
  const std::filesystem::path root = FBD_SOURCE_DIR;
  for (const LossInfo& row : loss_registry()) {
    INFO("loss " << row.name);
    CHECK(names.insert(row.name).second);
    CHECK(std::string(row.summary).size() > 10);
    CHECK(row.bytes_per_pixel > 0);
    CHECK((row.compute != nullptr));
    CHECK((row.trains == (row.edge != EdgeLoss::None)));
    CHECK((row.needs & (kNeedsMask | kNeedsLabels)) != (kNeedsMask | kNeedsLabels));
    for (const char* s : row.settings) {
      CHECK_MESSAGE(settings.count(s) == 1, row.name << " names an unknown setting " << s);
      used_settings.insert(s);
    }
    // One name per family: the kernels, the op and the teaching page carry it.
    const std::string fam = row.family;
    CHECK_MESSAGE(std::filesystem::exists(root / "kernels" / (fam + "_kernels.h")), fam);
    CHECK_MESSAGE(std::filesystem::exists(root / "kernels" / (fam + ".cuh")), fam);
    CHECK_MESSAGE(std::filesystem::exists(root / "kernels" / (fam + "_cpu.cpp")), fam);
    CHECK_MESSAGE(std::filesystem::exists(root / "losses" / (fam + ".cpp")), fam);
    CHECK_MESSAGE(std::filesystem::exists(root / "docs" / "kernels" / (fam + ".md")), fam);
  }
  CHECK(used_settings == settings);  // no setting that no loss reads
  CHECK(loss_names().size() == loss_registry().size());
  CHECK(training_loss_names() ==
        std::vector<std::string>{"dice", "focal", "bce", "fbd", "bce-iou", "bce-boundary", "shape-aware"});
}

TEST_CASE("loss registry: the defaults are the ops' defaults") {
  const LossSettings s;
  const DiceOptions d = dice_options(s), d0;
  CHECK((d.squared == d0.squared && d.batch == d0.batch && d.eps_num == d0.eps_num && d.eps_den == d0.eps_den));
  const FocalOptions f = focal_options(s), f0;
  CHECK((f.gamma == f0.gamma && f.alpha == f0.alpha));
  const FbdOptions b = fbd_options(s), b0;
  CHECK((b.w_dice == b0.w_dice && b.w_focal == b0.w_focal && b.w_boundary == b0.w_boundary));
  const BceBoundaryOptions bb0;
  CHECK((s.lambda_bd == bb0.lambda_bd && s.plain_mean_bce == bb0.plain_mean_bce));
  const ShapeAwareOptions sa0;
  CHECK((s.beta == sa0.beta && s.eta == sa0.eta && s.o == sa0.o));
  const SoftmaxLossOptions mc = softmax_fbd_defaults();
  CHECK((s.w_dice == mc.w_dice && s.w_focal == mc.w_focal && s.w_boundary == mc.w_boundary && s.gamma == mc.gamma));
}

TEST_CASE("loss registry: an unknown name is one line listing every loss") {
  const std::string e = test::error_of([] { find_loss("tversky"); });
  CHECK(test::contains(e, "unknown loss 'tversky': expected one of dice, focal,"));
  for (const std::string& n : loss_names()) CHECK_MESSAGE(test::contains(e, n), n);
  CHECK(e.find('\n') == std::string::npos);
}

TEST_CASE("loss registry: every row is the loss it names (PyTorch golden values)") {
  // row -> golden file of tests/fixtures/losses with the registry's default settings.
  const std::pair<const char*, const char*> golden[] = {
      {"dice", "dice"},
      {"focal", "focal"},
      {"focal-edge", "focal_edge"},
      {"bce", "bce"},
      {"bce-edge", "bce_edge"},
      {"boundary", "boundary"},
      {"fbd", "fbd"},
      {"fbd-naive", "fbd"},
      {"bce-iou", "structure"},
      {"bce-boundary", "bce_boundary"},
      {"compactness", "compactness"},
      {"dice-mc", "mc_dice"},
      {"focal-mc", "mc_focal"},
      {"boundary-mc", "mc_boundary"},
      {"fbd-mc", "mc_fbd"},
  };
  std::set<std::string> covered;
  for (const auto& [name, file] : golden) {
    const LossInfo& row = find_loss(name);
    const LossInputs in = fixture_inputs(row);
    test::golden(
        file, [&](const Tensor& x) { return compute_at(row, in, x); }, in.logits);
    covered.insert(name);
  }
  // shape-aware's golden file is for beta = 0.5 (and no smoothness term).
  const LossInfo& sa = find_loss("shape-aware");
  LossSettings s;
  s.beta = 0.5f;
  const LossInputs in = fixture_inputs(sa);
  test::golden(
      "shape_aware", [&](const Tensor& x) { return compute_at(sa, in, x, s); }, in.logits);
  covered.insert("shape-aware");
  CHECK(covered.size() == loss_registry().size());  // a new row needs its golden file here
}

TEST_CASE("loss registry: every row's gradient passes a finite-difference check") {
  for (const LossInfo& row : loss_registry()) {
    // Two images of the fixtures, cropped to 9 x 11 around their masks (the check costs two
    // loss evaluations per element), with the maps recomputed for the crop.
    const LossInputs full = fixture_inputs(row);
    const bool mc = (row.needs & kNeedsLabels) != 0;
    auto crop = [](const Tensor& t, int hdim) { return slice(slice(slice(t, 0, 0, 2), hdim, 3, 12), hdim + 1, 4, 15); };
    LossInputs in;
    // The fixtures hold logits of +-50; the step of the check must not cross them, so the
    // check runs on logits clamped to [-6, 6], where every loss is smooth at the step size.
    in.logits = clamp(crop(full.logits, 2), -6.0f, 6.0f);
    if (full.target.defined()) in.target = crop(full.target, mc ? 1 : 2);
    complete_loss_inputs(row, in);
    test::loss_gradcheck(row.name, [&](const Tensor& x) { return compute_at(row, in, x); }, in.logits);
  }
}

TEST_CASE("loss registry: deep supervision is the row on every side (auxiliary ones weighted) plus its edge loss") {
  const Tensor z = loss_fixture("bin_logits"), g = loss_fixture("bin_target"), e = loss_fixture("bin_edge");
  for (const std::string& name : training_loss_names()) {
    INFO("loss " << name);
    const LossInfo& row = find_loss(name);
    LossInputs t;
    t.target = g;
    complete_loss_inputs(row, t);
    const std::vector<Tensor> sides = {z, z * 0.5f, z * 2.0f};
    const float total = deep_supervision_loss(row, LossSettings{}, sides, t, z - 1.0f, e).item();
    double expect = 0;
    for (const Tensor& side : sides) expect += compute_at(row, t, side).item();
    expect += row.edge == EdgeLoss::Focal ? focal_edge_loss(z - 1.0f, e).item() : bce_edge_loss(z - 1.0f, e).item();
    CHECK(total == doctest::Approx(expect).epsilon(1e-6));
    // Without an edge head: the sides alone.
    const float sides_only = deep_supervision_loss(row, LossSettings{}, sides, t, Tensor(), Tensor()).item();
    CHECK(sides_only == doctest::Approx(expect - (row.edge == EdgeLoss::Focal ? focal_edge_loss(z - 1.0f, e).item()
                                                                              : bce_edge_loss(z - 1.0f, e).item()))
                            .epsilon(1e-5));
    // The auxiliary sides (all but the first) weighted: 0.25 of theirs, and none at all.
    const double first = compute_at(row, t, sides[0]).item();
    const float quarter = deep_supervision_loss(row, LossSettings{}, sides, t, Tensor(), Tensor(), 0.25f).item();
    CHECK(quarter == doctest::Approx(first + 0.25 * (sides_only - first)).epsilon(1e-5));
    const float alone = deep_supervision_loss(row, LossSettings{}, sides, t, Tensor(), Tensor(), 0.0f).item();
    CHECK(alone == doctest::Approx(first).epsilon(1e-6));
  }
  CHECK(test::contains(test::error_of([&] {
                         LossInputs t;
                         t.target = g;
                         deep_supervision_loss(find_loss("fbd"), LossSettings{}, {z}, t, Tensor(), Tensor(), -1.0f);
                       }),
                       "the auxiliary sides' weight must be a non-negative number, got -1"));
  CHECK(test::contains(test::error_of([&] {
                         LossInputs t;
                         t.target = g;
                         deep_supervision_loss(find_loss("fbd-mc"), LossSettings{}, {z}, t, Tensor(), Tensor());
                       }),
                       "does not train a network"));
  CHECK(test::contains(test::error_of([&] {
                         LossInputs t;
                         t.target = g;
                         deep_supervision_loss(find_loss("fbd"), LossSettings{}, {z}, t, Tensor(), Tensor());
                       }),
                       "needs the signed distance map"));
}
