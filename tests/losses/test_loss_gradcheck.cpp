// Finite-difference gradient checks of every loss on the CPU (method and tolerance:
// tests/losses/loss_test_util.h), on a batch that holds the hard cases at once:
// image 0 a blob, image 1 an empty mask, image 2 a single foreground pixel, image 3 a full
// mask; a few logits of +-50 in every image (saturated sigmoids, where a careless formula
// gives 0 * inf = NaN).
#include <doctest/doctest.h>

#include "losses/edt.h"
#include "losses/loss_registry.h"
#include "losses/losses.h"
#include "tests/losses/loss_test_util.h"

using namespace fbd;

namespace {

constexpr int64_t kN = 4, kH = 6, kW = 7;

Tensor edge_case_target() {
  std::vector<float> g(static_cast<size_t>(kN * kH * kW), 0.0f);
  auto at = [&](int64_t n, int64_t y, int64_t x) -> float& { return g[size_t((n * kH + y) * kW + x)]; };
  for (int64_t y = 1; y <= 3; ++y)
    for (int64_t x = 2; x <= 5; ++x) at(0, y, x) = 1.0f;
  at(0, 4, 3) = 1.0f;
  at(2, 3, 2) = 1.0f;
  for (int64_t y = 0; y < kH; ++y)
    for (int64_t x = 0; x < kW; ++x) at(3, y, x) = 1.0f;
  return Tensor::from_vector(g, {kN, 1, kH, kW});
}

Tensor edge_case_logits(uint64_t seed = 7) {
  std::vector<float> z = test::random_values(kN * kH * kW, -3.0f, 3.0f, seed);
  for (int64_t n = 0; n < kN; ++n) {
    z[size_t(n * kH * kW + 5)] = 50.0f;
    z[size_t(n * kH * kW + 17)] = -50.0f;
    z[size_t(n * kH * kW + 30)] = (n % 2 == 0) ? 50.0f : -50.0f;
  }
  return Tensor::from_vector(z, {kN, 1, kH, kW});
}

}  // namespace

TEST_CASE("gradcheck: Dice (plain, squared, batch, smoothing)") {
  const Tensor g = edge_case_target(), z = edge_case_logits();
  test::loss_gradcheck(
      "dice", [&](const Tensor& x) { return dice_loss(x, g); }, z);
  test::loss_gradcheck(
      "dice squared", [&](const Tensor& x) { return dice_loss(x, g, {.squared = true}); }, z);
  test::loss_gradcheck(
      "dice batch", [&](const Tensor& x) { return dice_loss(x, g, {.batch = true}); }, z);
  test::loss_gradcheck(
      "dice smoothed", [&](const Tensor& x) { return dice_loss(x, g, {.eps_num = 1.0f, .eps_den = 1.0f}); }, z);
}

TEST_CASE("gradcheck: focal (gamma 2, 0, 0.5; alpha on and off), BCE, edge losses, boundary") {
  const Tensor g = edge_case_target(), z = edge_case_logits();
  const Tensor phi = signed_distance_map(g);
  test::loss_gradcheck(
      "focal", [&](const Tensor& x) { return focal_loss(x, g); }, z);
  test::loss_gradcheck(
      "focal gamma 0", [&](const Tensor& x) { return focal_loss(x, g, {.gamma = 0.0f}); }, z);
  test::loss_gradcheck(
      "focal gamma 0.5 no alpha", [&](const Tensor& x) { return focal_loss(x, g, {.gamma = 0.5f, .alpha = -1.0f}); },
      z);
  test::loss_gradcheck(
      "focal edge", [&](const Tensor& x) { return focal_edge_loss(x, g); }, z);
  test::loss_gradcheck(
      "bce", [&](const Tensor& x) { return bce_loss(x, g); }, z);
  test::loss_gradcheck(
      "bce edge", [&](const Tensor& x) { return bce_edge_loss(x, g); }, z);
  test::loss_gradcheck(
      "boundary", [&](const Tensor& x) { return boundary_loss(x, phi); }, z);
}

TEST_CASE("gradcheck: Focal Boundary Dice fused and naive, deep supervision") {
  const Tensor g = edge_case_target(), z = edge_case_logits();
  const Tensor phi = signed_distance_map(g);
  test::loss_gradcheck(
      "fbd fused", [&](const Tensor& x) { return focal_boundary_dice_loss(x, g, phi); }, z);
  test::loss_gradcheck(
      "fbd naive", [&](const Tensor& x) { return focal_boundary_dice_loss_naive(x, g, phi); }, z);
  FbdOptions o;
  o.w_dice = 1.0f;
  o.w_focal = 2.0f;
  o.w_boundary = 0.5f;
  o.dice = {.squared = true, .batch = true};
  o.focal = {.gamma = 1.0f, .alpha = 0.7f};
  test::loss_gradcheck(
      "fbd fused custom", [&](const Tensor& x) { return focal_boundary_dice_loss(x, g, phi, o); }, z);
  const Tensor e = edge_case_target();
  for (const std::string& name : training_loss_names()) {  // every loss that trains, with its edge term
    const LossInfo& row = find_loss(name);
    LossInputs t;
    t.target = g;
    complete_loss_inputs(row, t);
    test::loss_gradcheck(
        "deep supervision " + name,
        [&](const Tensor& x) {
          return deep_supervision_loss(row, LossSettings{}, {x, x * 0.5f}, t, x * 1.5f, e);
        },
        z);
  }
}

TEST_CASE("gradcheck: structure loss, plain-mean variant, BCE-based boundary loss") {
  const Tensor g = edge_case_target(), z = edge_case_logits();
  const Tensor phi = signed_distance_map(g), w = structure_weight(g);
  test::loss_gradcheck(
      "structure", [&](const Tensor& x) { return structure_loss(x, g, w); }, z);
  test::loss_gradcheck(
      "structure plain mean", [&](const Tensor& x) { return structure_loss(x, g, w, {.plain_mean_bce = true}); }, z);
  test::loss_gradcheck(
      "bce boundary", [&](const Tensor& x) { return bce_boundary_loss(x, g, w, phi); }, z);
  test::loss_gradcheck(
      "bce boundary 0.3 plain",
      [&](const Tensor& x) { return bce_boundary_loss(x, g, w, phi, {.lambda_bd = 0.3f, .plain_mean_bce = true}); }, z);
}

TEST_CASE("gradcheck: compactness, shape-aware, embeddings, smoothness") {
  const Tensor g = edge_case_target();
  // Compactness divides by the area sum p: keep the logits moderate so the loss is O(1-10).
  const Tensor z = test::random_tensor({3, 1, 5, 6}, -2.0f, 2.0f, 31);
  test::loss_gradcheck(
      "compactness", [](const Tensor& x) { return compactness_loss(x); }, z);
  test::loss_gradcheck(
      "compactness o=0.01", [](const Tensor& x) { return compactness_loss(x, 0.01f); }, z);
  test::loss_gradcheck(
      "compactness with +-50", [](const Tensor& x) { return compactness_loss(x); }, edge_case_logits());
  test::loss_gradcheck(
      "shape aware", [&](const Tensor& x) { return shape_aware_loss(x, g, {.beta = 0.3f}); }, edge_case_logits());

  const Tensor up = test::random_tensor({kN, 2, 3}, -1, 1, 5);
  test::loss_gradcheck(
      "masked embeddings", [&](const Tensor& T) { return sum(mul(masked_embeddings(T, g), up)); },
      test::random_tensor({kN, 3, kH, kW}, -1, 1, 6));

  const Tensor xb = test::random_tensor({4, 5}, -1, 1, 8), xc = test::random_tensor({4, 5}, -1, 1, 9);
  // Normalisation makes these curve on the scale of the row norms (~1): a smaller step.
  test::loss_gradcheck(
      "smoothness (contour)", [&](const Tensor& x) { return smoothness_loss(x, xb, 1.2f); }, xc, 5e-3);
  test::loss_gradcheck(
      "smoothness (background)", [&](const Tensor& x) { return smoothness_loss(xc, x, 1.2f); }, xb, 5e-3);
  // The smooth term inside the shape-aware total.
  test::loss_gradcheck(
      "shape aware with smoothness",
      [&](const Tensor& x) {
        return shape_aware_loss(edge_case_logits(), g, {.beta = 0.1f, .eta = 0.5f}, smoothness_loss(x, xb));
      },
      xc, 5e-3);
}

TEST_CASE("gradcheck: multi-class softmax Dice, focal, boundary, compound") {
  const int64_t N = 2, K = 3, H = 5, W = 6;
  std::vector<float> y(static_cast<size_t>(N * H * W), 0.0f);
  for (size_t i = 0; i < y.size(); ++i) y[i] = float((i * 7 / 5) % K);
  y[3] = 2.0f;
  const Tensor labels = Tensor::from_vector(y, {N, H, W});
  std::vector<float> zv = test::random_values(N * K * H * W, -3, 3, 12);
  zv[4] = 50.0f;
  zv[40] = -50.0f;
  const Tensor z = Tensor::from_vector(zv, {N, K, H, W});
  const Tensor phi = class_signed_distance_maps(labels, int(K));
  test::loss_gradcheck(
      "softmax dice", [&](const Tensor& x) { return softmax_dice_loss(x, labels); }, z);
  test::loss_gradcheck(
      "softmax dice no bg, squared, batch",
      [&](const Tensor& x) { return softmax_dice_loss(x, labels, {.squared = true, .batch = true}, false); }, z);
  test::loss_gradcheck(
      "softmax focal", [&](const Tensor& x) { return softmax_focal_loss(x, labels); }, z);
  test::loss_gradcheck(
      "softmax focal gamma 0.5 weighted",
      [&](const Tensor& x) {
        return softmax_focal_loss(x, labels, 0.5f, {2.0f, 1.0f, 0.5f});
      },
      z);
  test::loss_gradcheck(
      "softmax boundary", [&](const Tensor& x) { return softmax_boundary_loss(x, phi); }, z);
  test::loss_gradcheck(
      "softmax fbd",
      [&](const Tensor& x) { return softmax_focal_boundary_dice_loss(x, labels, phi, softmax_fbd_defaults()); }, z);
}
