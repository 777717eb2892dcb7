// The loss ops as a user meets them: accepted shapes and dtypes, one-line errors for bad
// input, no NaN or Inf at logits of +-50, fused and naive compound agreeing, CPU results
// independent of the thread count, and the input-check switch.
#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>

#include "kernels/binary_loss_kernels.h"
#include "losses/edt.h"
#include "losses/loss_registry.h"
#include "losses/losses.h"
#include "tests/losses/loss_test_util.h"

using namespace fbd;

namespace {

Tensor blob_target(int64_t n, int64_t h, int64_t w, uint64_t seed) {
  std::vector<float> u = test::random_values(n * h * w, 0, 1, seed), g(u.size());
  for (size_t i = 0; i < u.size(); ++i) g[i] = u[i] < 0.3f ? 1.0f : 0.0f;
  return Tensor::from_vector(g, {n, 1, h, w});
}

bool all_finite(const std::vector<float>& v) {
  for (float x : v)
    if (!std::isfinite(x)) return false;
  return true;
}

// Every binary loss of the public API on (z, g), as name -> loss.
std::vector<std::pair<std::string, Tensor>> every_binary_loss(const Tensor& z, const Tensor& g) {
  const Tensor phi = signed_distance_map(g), w = structure_weight(g);
  return {{"dice", dice_loss(z, g)},
          {"dice squared", dice_loss(z, g, {.squared = true})},
          {"focal", focal_loss(z, g)},
          {"focal gamma 0.5", focal_loss(z, g, {.gamma = 0.5f})},
          {"bce", bce_loss(z, g)},
          {"boundary", boundary_loss(z, phi)},
          {"fbd", focal_boundary_dice_loss(z, g, phi)},
          {"fbd naive", focal_boundary_dice_loss_naive(z, g, phi)},
          {"structure", structure_loss(z, g, w)},
          {"bce boundary", bce_boundary_loss(z, g, w, phi)},
          {"compactness", compactness_loss(z)},
          {"shape aware", shape_aware_loss(z, g)}};
}

}  // namespace

TEST_CASE("losses: logits of +-50 give finite values and gradients everywhere") {
  // Right and wrong confident predictions on empty, full and mixed masks.
  const int64_t N = 3, H = 9, W = 11;
  std::vector<float> g(static_cast<size_t>(N * H * W)), z(g.size());
  for (size_t i = 0; i < g.size(); ++i) {
    const int64_t n = int64_t(i) / (H * W);
    g[i] = n == 0 ? 0.0f : (n == 1 ? 1.0f : float((i / 3) % 2));
    z[i] = (i % 5 == 0) ? (g[i] > 0 ? -50.0f : 50.0f) : (g[i] > 0 ? 50.0f : -50.0f);
  }
  const Tensor gt = Tensor::from_vector(g, {N, 1, H, W});
  Tensor zt = Tensor::from_vector(z, {N, 1, H, W});
  zt.requires_grad_();
  for (auto& [loss_name, loss] : every_binary_loss(zt, gt)) {
    const std::string& name = loss_name;
    INFO(name);
    CHECK(std::isfinite(loss.item()));
    zt.zero_grad();
    loss.backward();
    CHECK(all_finite(zt.grad().to_vector()));
  }
  // Multi-class at +-50, including a pixel whose label has logit -50 against +50 elsewhere.
  std::vector<float> y(static_cast<size_t>(2 * 4 * 5), 0.0f), mz(static_cast<size_t>(2 * 3 * 4 * 5));
  for (size_t i = 0; i < y.size(); ++i) y[i] = float(i % 3);
  for (size_t i = 0; i < mz.size(); ++i) mz[i] = (i % 2) ? 50.0f : -50.0f;
  const Tensor labels = Tensor::from_vector(y, {2, 4, 5});
  Tensor m = Tensor::from_vector(mz, {2, 3, 4, 5});
  m.requires_grad_();
  const Tensor L =
      softmax_focal_boundary_dice_loss(m, labels, class_signed_distance_maps(labels, 3), softmax_fbd_defaults());
  CHECK(std::isfinite(L.item()));
  L.backward();
  CHECK(all_finite(m.grad().to_vector()));
}

TEST_CASE("losses: an empty target with confident background logits gives a Dice loss near 0") {
  const Tensor g = Tensor::zeros({2, 1, 8, 8});
  const Tensor z = Tensor::full({2, 1, 8, 8}, -50.0f);
  CHECK(dice_loss(z, g).item() == doctest::Approx(0.0).epsilon(1e-6));
  CHECK(dice_loss(Tensor::full({2, 1, 8, 8}, 50.0f), g).item() == doctest::Approx(1.0).epsilon(1e-6));
}

TEST_CASE("losses: fused and naive Focal Boundary Dice agree (value and gradient)") {
  const Tensor g = blob_target(3, 37, 41, 1);  // odd sizes: no float4 alignment anywhere
  const Tensor phi = signed_distance_map(g);
  Tensor z = test::random_tensor({3, 1, 37, 41}, -4, 4, 2);
  z.requires_grad_();
  FbdOptions o;
  o.dice.squared = true;
  const Tensor fused = focal_boundary_dice_loss(z, g, phi, o);
  fused.backward();
  const std::vector<float> gf = z.grad().to_vector();
  z.zero_grad();
  const Tensor naive = focal_boundary_dice_loss_naive(z, g, phi, o);
  naive.backward();
  CHECK(fused.item() == doctest::Approx(naive.item()).epsilon(1e-6));
  // The same per-pixel arithmetic; only the order of three float additions differs.
  test::check_close(gf, z.grad().to_vector(), 1e-10, 2e-6, "fused vs naive gradient");
}

TEST_CASE("losses: CPU results are bit-identical for 1 and 3 threads (several chunks per image)") {
  const int64_t N = 2, H = 300, W = 301;  // 90300 pixels per image: 6 chunks of 16384
  const Tensor g = blob_target(N, H, W, 3);
  const Tensor phi = signed_distance_map(g);
  const Tensor z0 = test::random_tensor({N, 1, H, W}, -4, 4, 4);
  auto run = [&](int threads) {
    omp_set_num_threads(threads);
    std::vector<float> out;
    Tensor z = z0.clone().detach();
    z.requires_grad_();
    for (const Tensor& L : {focal_boundary_dice_loss(z, g, phi), structure_loss(z, g), compactness_loss(z)}) {
      z.zero_grad();
      L.backward();
      out.push_back(L.item());
      const auto gr = z.grad().to_vector();
      out.insert(out.end(), gr.begin(), gr.end());
    }
    return out;
  };
  const int saved = omp_get_max_threads();
  const auto one = run(1), three = run(3);
  omp_set_num_threads(saved);
  CHECK(one == three);
}

TEST_CASE("losses: shapes (H,W), (N,H,W) and (N,1,H,W) give the same loss; uint8 targets equal float ones") {
  const Tensor g4 = blob_target(1, 12, 10, 5), z4 = test::random_tensor({1, 1, 12, 10}, -3, 3, 6);
  const float ref = focal_boundary_dice_loss(z4, g4, signed_distance_map(g4)).item();
  for (const Shape& s : {Shape{12, 10}, Shape{1, 12, 10}}) {
    const Tensor g = g4.reshape(s), z = z4.reshape(s);
    CHECK(focal_boundary_dice_loss(z, g, signed_distance_map(g)).item() == ref);
  }
  const Tensor gu = g4.to_dtype(DType::U8);
  CHECK(dice_loss(z4, gu).item() == dice_loss(z4, g4).item());
  CHECK(structure_loss(z4, gu).item() == structure_loss(z4, g4).item());
  CHECK(focal_boundary_dice_loss(z4, gu, signed_distance_map(gu)).item() == ref);
}

TEST_CASE("losses: bad inputs are one-line errors naming the op and the value") {
  const Tensor g = blob_target(2, 6, 7, 8), z = test::random_tensor({2, 1, 6, 7}, -1, 1, 9);
  const Tensor phi = signed_distance_map(g);
  auto err = [](auto&& f) { return test::error_of(f); };
  // The whole message (debug builds append " [file:line]").
  auto starts = [](const std::string& msg, const std::string& head) { return msg.rfind(head, 0) == 0; };

  std::vector<float> bad = g.to_vector();
  bad[13] = 0.5f;
  const Tensor gbad = Tensor::from_vector(bad, g.shape());
  CHECK(
      starts(err([&] { dice_loss(z, gbad); }), "dice_loss: target: mask values must be 0 or 1, found 0.5 at index 13"));
  CHECK(test::contains(err([&] { focal_boundary_dice_loss(z, gbad, phi); }), "found 0.5 at index 13"));
  CHECK(test::contains(err([&] { structure_loss(z, gbad); }), "structure_loss: target: mask values must be 0 or 1"));

  std::vector<float> zn = z.to_vector();
  zn[20] = std::nanf("");
  const Tensor znan = Tensor::from_vector(zn, z.shape());
  CHECK(starts(err([&] { focal_loss(znan, g); }), "focal_loss: logits must be finite, found nan at index 20"));
  CHECK(test::contains(err([&] { compactness_loss(znan); }), "compactness_loss: logits must be finite, found nan"));
  CHECK(test::contains(err([&] { boundary_loss(znan, phi); }), "boundary_loss: logits must be finite"));
  zn[20] = INFINITY;
  CHECK(test::contains(err([&] { bce_loss(Tensor::from_vector(zn, z.shape()), g); }), "found inf at index 20"));
  std::vector<float> pn = phi.to_vector();
  pn[3] = std::nanf("");
  CHECK(test::contains(err([&] { boundary_loss(z, Tensor::from_vector(pn, phi.shape())); }),
                       "boundary_loss: signed distance map must be finite, found nan at index 3"));

  CHECK(starts(err([&] {
                 dice_loss(z, g.reshape({2, 6, 7}));
               }),
               "dice_loss: logits [2, 1, 6, 7] and target [2, 6, 7] differ in shape"));
  CHECK(test::contains(err([&] {
                         dice_loss(Tensor::zeros({2, 3, 6, 7}), Tensor::zeros({2, 3, 6, 7}));
                       }),
                       "expected a shape (H,W), (N,H,W) or (N,1,H,W)"));
  CHECK(test::contains(err([&] { dice_loss(Tensor::zeros({0, 4}), Tensor::zeros({0, 4})); }), "are empty"));
  CHECK(test::contains(err([&] { dice_loss(z, g, {.eps_den = 0.0f}); }), "dice_loss: eps_den must be > 0"));
  CHECK(test::contains(err([&] { focal_loss(z, g, {.gamma = -1.0f}); }), "focal_loss: gamma must be >= 0"));
  CHECK(test::contains(err([&] { focal_loss(z, g, {.alpha = 1.5f}); }), "alpha must be in [0, 1]"));
  CHECK(test::contains(err([&] { structure_weight(gbad); }), "structure_weight: mask values must be 0 or 1"));
  CHECK(test::contains(err([&] {
                         smoothness_loss(Tensor::zeros({3, 4}), Tensor::zeros({4, 4}));
                       }),
                       "smoothness_loss: contour and background embeddings must both be [N, D]"));
  CHECK(test::contains(err([&] {
                         masked_embeddings(Tensor::zeros({2, 3, 5, 7}), g);
                       }),
                       "masked_embeddings: features [2, 3, 5, 7] and target [2, 1, 6, 7] differ"));

  const Tensor labels = Tensor::from_vector(std::vector<float>(2 * 6 * 7, 1.0f), {2, 6, 7});
  const Tensor mz = test::random_tensor({2, 3, 6, 7}, -1, 1, 10);
  std::vector<float> lb = labels.to_vector();
  lb[5] = 3.0f;
  CHECK(starts(err([&] { softmax_dice_loss(mz, Tensor::from_vector(lb, labels.shape())); }),
               "softmax_dice_loss: labels must be class indices 0..2, found 3 at index 5"));
  lb[5] = 1.5f;
  CHECK(test::contains(err([&] { softmax_focal_loss(mz, Tensor::from_vector(lb, labels.shape())); }),
                       "found 1.5 at index 5"));
  CHECK(test::contains(err([&] {
                         softmax_dice_loss(Tensor::zeros({2, 9, 6, 7}), labels);
                       }),
                       "between 2 and 8 classes supported, got 9"));
  CHECK(test::contains(err([&] { softmax_dice_loss(mz, Tensor::zeros({2, 6, 8})); }), "differ in batch or image size"));
  CHECK(test::contains(err([&] {
                         softmax_focal_loss(mz, labels, 2.0f, {1.0f, 2.0f});
                       }),
                       "2 class weights for 3 classes"));
}

TEST_CASE("losses: the input-check switch turns the read-back and its errors off") {
  const Tensor g = blob_target(1, 5, 5, 11);
  std::vector<float> zn(25, 0.5f);
  zn[7] = std::nanf("");
  const Tensor z = Tensor::from_vector(zn, g.shape());
  CHECK_THROWS_AS(dice_loss(z, g), Error);
  set_loss_input_checks(false);
  CHECK(std::isnan(dice_loss(z, g).item()));  // garbage in, garbage out, but no error
  set_loss_input_checks(true);
  CHECK(loss_input_checks());
}

TEST_CASE("losses: kernel-level forward/backward of the binary_loss family match the ops (float4-sized and odd)") {
  // The raw CPU kernel with a non-unit upstream gradient, against the op's gradient scaled.
  for (const int64_t W : {16, 13}) {
    const Tensor g = blob_target(2, 8, W, 12), z = test::random_tensor({2, 1, 8, W}, -3, 3, 13);
    const Tensor phi = signed_distance_map(g);
    kernels::BinaryLossParams p;  // the paper's weights
    const int64_t N = 2, HW = 8 * W;
    std::vector<float> sums(static_cast<size_t>((N + 1) * kernels::kBinaryStats)), dz(static_cast<size_t>(N * HW));
    float value = 0, go = -2.5f;
    kernels::binary_loss_forward_cpu(z.data<float>(), g.data<float>(), phi.data<float>(), N, HW, p, sums.data(),
                                     &value);
    kernels::binary_loss_backward_cpu(z.data<float>(), g.data<float>(), phi.data<float>(), N, HW, p, sums.data(), &go,
                                      dz.data());
    Tensor zr = z.clone().detach();
    zr.requires_grad_();
    const Tensor L = focal_boundary_dice_loss(zr, g, phi);
    (L * -2.5f).backward();
    CHECK(value == L.item());
    CHECK(dz == zr.grad().to_vector());
    CHECK(sums[size_t(N * kernels::kBinaryStats + kernels::kStatTarget)] == doctest::Approx(sum(g).item()));
  }
}

TEST_CASE("deep supervision without an edge head is the sum of the side losses") {
  const Tensor z = test::loss_fixture("bin_logits"), g = test::loss_fixture("bin_target"),
               phi = test::loss_fixture("bin_sdm"), e = test::loss_fixture("bin_edge");
  const std::vector<Tensor> sides = {z, z * 0.5f};
  const LossInfo& fbd = find_loss("fbd");
  LossInputs t;
  t.target = g;
  t.sdm = phi;
  const float without = deep_supervision_loss(fbd, LossSettings{}, sides, t, Tensor(), Tensor()).item();
  const float sum = add(focal_boundary_dice_loss(sides[0], g, phi), focal_boundary_dice_loss(sides[1], g, phi)).item();
  CHECK(without == doctest::Approx(sum).epsilon(1e-6));
  const float with_edge = deep_supervision_loss(fbd, LossSettings{}, sides, t, z, e).item();
  CHECK(with_edge == doctest::Approx(sum + focal_edge_loss(z, e).item()).epsilon(1e-6));
  CHECK(test::contains(test::error_of([&] { deep_supervision_loss(fbd, LossSettings{}, sides, t, z, Tensor()); }),
                       "edge logits given without an edge target"));
}
