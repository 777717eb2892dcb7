// BatchNorm2d on the CPU: the batch statistics on a hand-computable input, the running
// statistics' update rule, eval mode, the module's mode switch and buffers, and errors.
#include <doctest/doctest.h>

#include <cmath>

#include "core/autograd.h"
#include "core/ops.h"
#include "layers/layers.h"
#include "tests/test_util.h"

using namespace fbd;
using test::contains;
using test::error_of;

TEST_CASE("batch_norm2d: statistics of a hand-computable batch") {
  // Channel 0 holds 1..8 (mean 4.5, biased variance 5.25), channel 1 holds 10 everywhere.
  std::vector<float> v(16);
  for (int n = 0; n < 2; ++n)
    for (int i = 0; i < 4; ++i) {
      v[size_t(n * 8 + i)] = float(n * 4 + i + 1);
      v[size_t(n * 8 + 4 + i)] = 10.0f;
    }
  const Tensor x = Tensor::from_vector(v, {2, 2, 2, 2});
  Tensor rm = Tensor::zeros({2}), rv = Tensor::ones({2});
  const Tensor y = nn::batch_norm2d(x, Tensor(), Tensor(), rm, rv, true, 0.1, 1e-5);
  const std::vector<float> yv = y.to_vector();
  const double inv = 1.0 / std::sqrt(5.25 + 1e-5);
  for (int n = 0; n < 2; ++n)
    for (int i = 0; i < 4; ++i) {
      CHECK(yv[size_t(n * 8 + i)] == doctest::Approx((n * 4 + i + 1 - 4.5) * inv).epsilon(1e-6));
      CHECK(yv[size_t(n * 8 + 4 + i)] == 0.0f);  // constant channel: x - mean = 0 exactly
    }
  // running = 0.9 running + 0.1 batch, with the unbiased variance 5.25 * 8/7 = 6 for channel 0.
  CHECK(rm.to_vector()[0] == doctest::Approx(0.45).epsilon(1e-6));
  CHECK(rm.to_vector()[1] == doctest::Approx(1.0).epsilon(1e-6));
  CHECK(rv.to_vector()[0] == doctest::Approx(0.9 + 0.6).epsilon(1e-6));
  CHECK(rv.to_vector()[1] == doctest::Approx(0.9).epsilon(1e-6));
  // The normalised output has mean 0 and (biased) variance ~1 per non-constant channel.
  const Tensor m = mean(y, {0, 2, 3});
  CHECK(std::fabs(m.to_vector()[0]) < 1e-6);
}

TEST_CASE("batch_norm2d: gamma and beta scale and shift; eval mode uses the running statistics") {
  const Tensor x = test::random_tensor({3, 2, 4, 4}, -2, 3, 1);
  const Tensor gamma = Tensor::from_vector({2.0f, 0.5f}, {2}), beta = Tensor::from_vector({1.0f, -1.0f}, {2});
  const Tensor plain = nn::batch_norm2d(x, Tensor(), Tensor(), Tensor(), Tensor(), true);
  const Tensor affine = nn::batch_norm2d(x, gamma, beta, Tensor(), Tensor(), true);
  const Tensor expect = add(mul(plain, gamma.reshape({1, 2, 1, 1})), beta.reshape({1, 2, 1, 1}));
  test::check_close(expect.to_vector(), affine.to_vector(), 1e-6, 1e-6, "affine");
  // Eval: y = (x - rm) / sqrt(rv + eps) * gamma + beta, no update of the statistics.
  const Tensor rm = Tensor::from_vector({0.5f, -0.25f}, {2}), rv = Tensor::from_vector({4.0f, 0.25f}, {2});
  const Tensor y = nn::batch_norm2d(x, gamma, beta, rm, rv, false, 0.1, 0.0001);
  const std::vector<float> xv = x.to_vector(), yv = y.to_vector();
  for (size_t i = 0; i < xv.size(); ++i) {
    const size_t c = (i / 16) % 2;
    const double e = (xv[i] - rm.to_vector()[c]) / std::sqrt(double(rv.to_vector()[c]) + 1e-4) * gamma.to_vector()[c] +
                     beta.to_vector()[c];
    CHECK(yv[i] == doctest::Approx(e).epsilon(1e-5));
  }
  CHECK(rm.to_vector() == std::vector<float>{0.5f, -0.25f});
}

TEST_CASE("BatchNorm2d module: parameters, buffers, train/eval, state_dict names") {
  nn::BatchNorm2d bn(nn::BatchNorm2dOptions(3).momentum(0.5));
  const auto sd = bn.state_dict();
  REQUIRE(sd.size() == 4);
  CHECK(sd[0].first == "weight");
  CHECK(sd[1].first == "bias");
  CHECK(sd[2].first == "running_mean");
  CHECK(sd[3].first == "running_var");
  CHECK(bn.named_parameters().size() == 2);
  CHECK(bn.named_buffers().size() == 2);
  const Tensor x = add_scalar(test::random_tensor({4, 3, 2, 2}, -1, 1, 2), 3.0f);
  bn.train();
  bn(x);
  const std::vector<float> after_train = bn.running_mean().to_vector();
  CHECK(after_train[0] > 1.0f);  // moved halfway towards a mean near 3
  bn.eval();
  const Tensor y = bn(x);
  CHECK(bn.running_mean().to_vector() == after_train);  // eval does not update
  // In eval mode the output is not re-normalised: its mean stays away from 0.
  CHECK(std::fabs(mean(y).item()) > 0.1f);
  nn::BatchNorm2d plain(nn::BatchNorm2dOptions(3).affine(false).track_running_stats(false));
  CHECK(plain.state_dict().empty());
  plain.eval();  // without running statistics, batch statistics in eval mode too
  CHECK(std::fabs(mean(plain(x)).item()) < 1e-5f);
}

TEST_CASE("batch_norm2d: bad arguments give one-line errors") {
  const Tensor x = Tensor::zeros({2, 3, 4, 4});
  CHECK(contains(error_of([&] { nn::batch_norm2d(x, Tensor::ones({2}), Tensor(), Tensor(), Tensor(), true); }),
                 "batch_norm2d: weight must have shape [3] (one per channel), got [2]"));
  CHECK(contains(error_of([&] {
                   nn::batch_norm2d(Tensor::zeros({1, 3, 1, 1}), Tensor(), Tensor(), Tensor(), Tensor(), true);
                 }),
                 "batch_norm2d: expected more than 1 value per channel when training"));
  CHECK(contains(error_of([&] { nn::batch_norm2d(x, Tensor(), Tensor(), Tensor(), Tensor(), false); }),
                 "batch_norm2d: eval mode needs running statistics"));
  CHECK(contains(error_of([&] {
                   nn::batch_norm2d(Tensor::zeros({2, 3, 4}), Tensor(), Tensor(), Tensor(), Tensor(), true);
                 }),
                 "batch_norm2d: expected input [N, C, H, W]"));
  CHECK(contains(error_of([&] { nn::batch_norm2d(x, Tensor(), Tensor(), Tensor::zeros({3}), Tensor(), true); }),
                 "batch_norm2d: running_mean and running_var must both be given or both be absent"));
  nn::BatchNorm2d bn(3);
  CHECK(contains(error_of([&] {
                   bn(Tensor::zeros({2, 4, 3, 3}));
                 }),
                 "batch_norm2d: weight must have shape [4] (one per channel), got [3]"));
}

TEST_CASE("recompute_batch_norm_stats: the mean of the batches' statistics, every batch norm below, state restored") {
  // A Sequential of two BatchNorm2d (the second sees the first's output) and a third that does
  // not track statistics. Three batches of one channel: [1, 1, 1, 2] values each.
  auto net = std::make_shared<nn::Sequential>();
  auto bn1 = net->add(std::make_shared<nn::BatchNorm2d>(nn::BatchNorm2dOptions(1).momentum(0.3)));
  auto inner = net->add(std::make_shared<nn::Sequential>());
  auto bn2 = inner->add(std::make_shared<nn::BatchNorm2d>(1));
  inner->add(std::make_shared<nn::BatchNorm2d>(nn::BatchNorm2dOptions(1).track_running_stats(false)));
  net->eval();
  const std::vector<std::vector<float>> batches = {{1, 2}, {3, 7}, {-4, 0}};
  std::vector<int64_t> seen;
  nn::recompute_batch_norm_stats(*net, 3, [&](int64_t k) {
    CHECK(net->is_training());
    CHECK(!grad_enabled());
    seen.push_back(k);
    net->forward(Tensor::from_vector(batches[size_t(k)], {1, 1, 1, 2}));
  });
  CHECK(seen == std::vector<int64_t>{0, 1, 2});
  // Batch means 1.5, 5, -2 (mean 1.5); unbiased variances (M = 2) 0.5, 8, 8 (mean 5.5).
  CHECK(bn1->running_mean().item() == doctest::Approx(1.5).epsilon(1e-6));
  CHECK(bn1->running_var().item() == doctest::Approx(5.5).epsilon(1e-6));
  // The second sees each batch normalised to about -1, +1: mean 0, unbiased variance about 2.
  CHECK(std::fabs(bn2->running_mean().item()) < 1e-6);
  CHECK(bn2->running_var().item() == doctest::Approx(2.0).epsilon(1e-4));
  // Momenta and the mode come back.
  CHECK(bn1->options().momentum_ == 0.3);
  CHECK(bn2->options().momentum_ == 0.1);
  CHECK(!net->is_training());
  CHECK(contains(error_of([&] { nn::recompute_batch_norm_stats(*net, 0, [](int64_t) {}); }), "at least one batch"));
  CHECK(contains(error_of([&] { bn1->set_momentum(1.5); }), "momentum must be in [0, 1], got 1.5"));
}
