// Every loss and its gradient against PyTorch (float64) on fixed inputs: the fixtures written
// by tests/reference/make_loss_fixtures.py (torchvision's sigmoid_focal_loss, MONAI's
// DiceLoss, F3Net's structure_loss and Kervadec's SurfaceLoss, written out in PyTorch there).
//
// Tolerance: |torch - fbd| <= 2e-6 + 2e-5 |torch| for values and 1e-7 + 1e-4 |torch| for
// gradient elements (plus 1e-6 of the largest gradient magnitude, for elements that are sums
// of cancelling terms). fbd computes per pixel in float32 (exp and log within 2 ulp) and sums
// in double, so a value is within a few 1e-7 relative of the float64 reference; a gradient
// element within a few ulp of its own terms. Any wrong formula is off by far more.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "losses/edt.h"
#include "losses/loss_registry.h"
#include "losses/losses.h"
#include "tests/losses/loss_test_util.h"

using namespace fbd;
using test::loss_fixture;

namespace {

Tensor bin_logits() { return loss_fixture("bin_logits"); }
Tensor bin_target() { return loss_fixture("bin_target"); }
Tensor bin_sdm() { return loss_fixture("bin_sdm"); }
Tensor bin_edge() { return loss_fixture("bin_edge"); }

}  // namespace

TEST_CASE("golden: the fixture's distance map is the one fbd computes") {
  // The boundary fixtures use SciPy's EDT through Kervadec's one_hot2dist (empty and full masks: 0).
  test::check_close(bin_sdm().to_vector(), signed_distance_map(bin_target()).to_vector(), 0, 1e-6, "sdm");
}

TEST_CASE("golden: Dice, focal, BCE, boundary (empty, single-pixel and full masks, logits +-50)") {
  const Tensor z = bin_logits(), g = bin_target(), phi = bin_sdm(), e = bin_edge();
  test::golden(
      "dice", [&](const Tensor& x) { return dice_loss(x, g); }, z);
  test::golden(
      "dice_squared", [&](const Tensor& x) { return dice_loss(x, g, {.squared = true}); }, z);
  test::golden(
      "dice_batch", [&](const Tensor& x) { return dice_loss(x, g, {.batch = true}); }, z);
  test::golden(
      "dice_eps", [&](const Tensor& x) { return dice_loss(x, g, {.eps_num = 0.5f, .eps_den = 2.0f}); }, z);
  test::golden(
      "focal", [&](const Tensor& x) { return focal_loss(x, g); }, z);
  test::golden(
      "focal_g0_noalpha", [&](const Tensor& x) { return focal_loss(x, g, {.gamma = 0.0f, .alpha = -1.0f}); }, z);
  test::golden(
      "focal_g15_a06", [&](const Tensor& x) { return focal_loss(x, g, {.gamma = 1.5f, .alpha = 0.6f}); }, z);
  test::golden(
      "focal_edge", [&](const Tensor& x) { return focal_edge_loss(x, e); }, z);
  test::golden(
      "bce", [&](const Tensor& x) { return bce_loss(x, g); }, z);
  test::golden(
      "bce_edge", [&](const Tensor& x) { return bce_edge_loss(x, e); }, z);
  test::golden(
      "boundary", [&](const Tensor& x) { return boundary_loss(x, phi); }, z);
}

TEST_CASE("golden: Focal Boundary Dice, fused and naive, default and custom weights") {
  const Tensor z = bin_logits(), g = bin_target(), phi = bin_sdm();
  test::golden(
      "fbd", [&](const Tensor& x) { return focal_boundary_dice_loss(x, g, phi); }, z);
  test::golden(
      "fbd", [&](const Tensor& x) { return focal_boundary_dice_loss_naive(x, g, phi); }, z);
  FbdOptions o;
  o.w_dice = 0.2f;
  o.w_focal = 0.5f;
  o.w_boundary = 0.3f;
  o.dice.squared = true;
  o.focal = {.gamma = 1.0f, .alpha = 0.5f};
  test::golden(
      "fbd_custom", [&](const Tensor& x) { return focal_boundary_dice_loss(x, g, phi, o); }, z);
  test::golden(
      "fbd_custom", [&](const Tensor& x) { return focal_boundary_dice_loss_naive(x, g, phi, o); }, z);
}

TEST_CASE("golden: deep supervision total (Eq. 3)") {
  const Tensor z = bin_logits(), g = bin_target(), phi = bin_sdm(), e = bin_edge();
  LossInputs t;
  t.target = g;
  t.sdm = phi;
  test::golden(
      "deep_supervision",
      [&](const Tensor& x) {
        return deep_supervision_loss(find_loss("fbd"), LossSettings{}, {x, x * 0.5f, x * 2.0f}, t, x - 1.0f, e);
      },
      z);
}

TEST_CASE("golden: structure weight, structure loss (weighted and plain-mean), BCE-based boundary loss") {
  const Tensor z = bin_logits(), g = bin_target(), phi = bin_sdm();
  const Tensor w = structure_weight(g);
  // Window sums of a 0/1 mask are exact: only the division by 961 and the |.| * 5 round.
  test::check_close(loss_fixture("structure_weight").to_vector(), w.to_vector(), 0, 3e-7, "structure weight");
  test::golden(
      "structure", [&](const Tensor& x) { return structure_loss(x, g); }, z);
  test::golden(
      "structure", [&](const Tensor& x) { return structure_loss(x, g, w); }, z);
  test::golden(
      "structure_plain", [&](const Tensor& x) { return structure_loss(x, g, w, {.plain_mean_bce = true}); }, z);
  test::golden(
      "bce_boundary", [&](const Tensor& x) { return bce_boundary_loss(x, g, w, phi); }, z);
  test::golden(
      "bce_boundary_l05_plain",
      [&](const Tensor& x) { return bce_boundary_loss(x, g, w, phi, {.lambda_bd = 0.5f, .plain_mean_bce = true}); }, z);
}

TEST_CASE("golden: compactness and shape-aware loss") {
  const Tensor z = bin_logits(), g = bin_target();
  test::golden(
      "compactness", [&](const Tensor& x) { return compactness_loss(x); }, z);
  test::golden(
      "shape_aware", [&](const Tensor& x) { return shape_aware_loss(x, g, {.beta = 0.5f, .eta = 0.0f}); }, z);
}

TEST_CASE("golden: contour bands, mask-averaged embeddings and smoothness") {
  const Tensor g = bin_target();
  const auto [c, b] = contour_bands(g);
  CHECK(c.to_vector() == loss_fixture("bands_contour").to_vector());
  CHECK(b.to_vector() == loss_fixture("bands_background").to_vector());

  Tensor T = loss_fixture("emb_features").detach();
  T.requires_grad_();
  const Tensor emb = masked_embeddings(T, g);
  REQUIRE(emb.shape() == Shape{4, 2, 3});
  sum(mul(emb, loss_fixture("emb_upstream"))).backward();
  test::check_values("embeddings", loss_fixture("emb_value").to_vector(), emb.to_vector(), 1e-6, 1e-5);
  test::check_values("embeddings gradient", loss_fixture("emb_grad").to_vector(), T.grad().to_vector(), 1e-7, 1e-5);

  Tensor xc = loss_fixture("smooth_xc").detach(), xb = loss_fixture("smooth_xb").detach();
  xc.requires_grad_();
  xb.requires_grad_();
  const Tensor s = smoothness_loss(xc, xb, 0.8f);
  s.backward();
  test::check_values("smoothness", loss_fixture("smooth_value").to_vector(), {s.item()}, 1e-6, 1e-5);
  test::check_values("smoothness gradient c", loss_fixture("smooth_grad_c").to_vector(), xc.grad().to_vector(), 1e-6,
                     1e-4);
  test::check_values("smoothness gradient b", loss_fixture("smooth_grad_b").to_vector(), xb.grad().to_vector(), 1e-6,
                     1e-4);
}

TEST_CASE("golden: multi-class softmax Dice, focal, boundary and compound") {
  const Tensor z = loss_fixture("mc_logits"), y = loss_fixture("mc_labels"), phi = loss_fixture("mc_sdm");
  test::check_close(phi.to_vector(), class_signed_distance_maps(y, 4).to_vector(), 0, 1e-6, "class sdm");
  test::golden(
      "mc_dice", [&](const Tensor& x) { return softmax_dice_loss(x, y); }, z);
  test::golden(
      "mc_dice_nobg_batch_sq",
      [&](const Tensor& x) { return softmax_dice_loss(x, y, {.squared = true, .batch = true}, false); }, z);
  test::golden(
      "mc_focal", [&](const Tensor& x) { return softmax_focal_loss(x, y); }, z);
  test::golden(
      "mc_focal_g0", [&](const Tensor& x) { return softmax_focal_loss(x, y, 0.0f); }, z);
  test::golden(
      "mc_focal_g05_w",
      [&](const Tensor& x) {
        return softmax_focal_loss(x, y, 0.5f, {0.5f, 1.0f, 2.0f, 1.5f});
      },
      z);
  test::golden(
      "mc_boundary", [&](const Tensor& x) { return softmax_boundary_loss(x, phi); }, z);
  test::golden(
      "mc_boundary_nobg", [&](const Tensor& x) { return softmax_boundary_loss(x, phi, false); }, z);
  test::golden(
      "mc_fbd", [&](const Tensor& x) { return softmax_focal_boundary_dice_loss(x, y, phi, softmax_fbd_defaults()); },
      z);
}
