// Optimizers on the CPU: Adam's first step against the textbook formulas, three steps of
// SGD (plain, momentum with dampening, Nesterov, weight decay), Adam and AdamW against
// PyTorch (tests/fixtures/layers/optim.*.npy), the fused multi-tensor step over tensors of
// many sizes with some lacking gradients, the vectorised CPU Adam step against a plain scalar
// loop over the shared per-element math bit for bit (any thread count), state_dict round trips
// (a resumed run matches an uninterrupted one bit for bit), and errors.
//
// Tolerance against PyTorch: 1e-6 + 1e-6 |p|; both evaluate the same float32 operations, but
// PyTorch's order inside addcmul/addcdiv and FMA contraction differ by an ulp or two.
#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <cstring>

#include "core/npy.h"
#include "core/ops.h"
#include "kernels/optim.cuh"
#include "kernels/optim_kernels.h"
#include "optim/optim.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;
using namespace fbd::optim;
using test::contains;
using test::error_of;

namespace {

void set_grad(const Tensor& p, const Tensor& g) { p.impl_ptr()->grad = g.impl_shared(); }

Tensor fixture(const std::string& what) { return read_npy(test::fixture("layers/optim." + what + ".npy")); }

template <typename Opt, typename Options>
std::vector<float> three_steps(const Options& o) {
  Tensor p = fixture("p0").clone();
  p.requires_grad_();
  Opt opt({{"p", p}}, o);
  for (const char* g : {"g0", "g1", "g2"}) {
    set_grad(p, fixture(g));
    opt.step();
  }
  return p.to_vector();
}

}  // namespace

TEST_CASE("Adam: the first step follows the textbook formulas") {
  // m1 = (1-b1) g, v1 = (1-b2) g^2, mhat = m1/(1-b1), vhat = v1/(1-b2): the step is
  // lr * g / (|g| + eps) = lr * sign(g) up to eps.
  Tensor p = Tensor::from_vector({1.0f, -2.0f, 0.5f}, {3});
  p.requires_grad_();
  AdamOptions o;
  o.lr = 0.1;
  Adam adam({{"p", p}}, o);
  set_grad(p, Tensor::from_vector({0.3f, -4.0f, 1e-3f}, {3}));
  adam.step();
  const std::vector<float> g{0.3f, -4.0f, 1e-3f}, p0{1.0f, -2.0f, 0.5f};
  for (size_t i = 0; i < 3; ++i) {
    const double m = 0.1 * g[i], v = 0.001 * double(g[i]) * g[i];
    const double mhat = m / (1 - 0.9), vhat = v / (1 - 0.999);
    const double expect = p0[i] - 0.1 * mhat / (std::sqrt(vhat) + 1e-8);
    CHECK(p.to_vector()[i] == doctest::Approx(expect).epsilon(1e-6));
  }
  const auto sd = adam.state_dict();
  CHECK(sd[0].first == "p.exp_avg");
  CHECK(sd[0].second.to_vector()[1] == doctest::Approx(-0.4));
  CHECK(sd[1].first == "p.exp_avg_sq");
  CHECK(sd[1].second.to_vector()[1] == doctest::Approx(0.016));
  CHECK(sd[2].first == "p.step");
  CHECK(sd[2].second.to_vector<int32_t>()[0] == 1);
}

TEST_CASE("SGD, Adam and AdamW: three steps match PyTorch") {
  SgdOptions s;
  s.lr = 0.1;
  test::check_close(fixture("sgd").to_vector(), three_steps<SGD>(s), 1e-6, 1e-6, "sgd");
  s.momentum = 0.9, s.dampening = 0.1, s.weight_decay = 0.01;
  test::check_close(fixture("sgd_momentum").to_vector(), three_steps<SGD>(s), 1e-6, 1e-6, "sgd momentum");
  s.dampening = 0, s.nesterov = true;
  test::check_close(fixture("sgd_nesterov").to_vector(), three_steps<SGD>(s), 1e-6, 1e-6, "sgd nesterov");
  AdamOptions a;
  a.lr = 0.01, a.weight_decay = 0.01;
  test::check_close(fixture("adam").to_vector(), three_steps<Adam>(a), 1e-6, 1e-6, "adam");
  a.beta1 = 0.8, a.beta2 = 0.99, a.eps = 1e-6, a.weight_decay = 0.1;
  test::check_close(fixture("adamw").to_vector(), three_steps<AdamW>(a), 1e-6, 1e-6, "adamw");
}

TEST_CASE("fused step: tensors of many sizes in one launch; parameters without gradients are left alone") {
  // Sizes below, at and across the 4096-element chunk boundary.
  const std::vector<int64_t> sizes{1, 7, 4096, 4097, 10000, 3, 12289};
  NamedTensors params;
  std::vector<std::vector<float>> p0, g0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    Tensor p = test::random_tensor({sizes[i]}, -1, 1, 10 + i);
    p.requires_grad_();
    std::string name = "p";
    name += std::to_string(i);  // (not "p" + ...: GCC 12 warns falsely, -Wrestrict)
    params.emplace_back(name, p);
    p0.push_back(p.to_vector());
    if (i != 2) {  // parameter 2 gets no gradient
      const Tensor g = test::random_tensor({sizes[i]}, -1, 1, 100 + i);
      set_grad(p, g);
      g0.push_back(g.to_vector());
    } else {
      g0.push_back({});
    }
  }
  SgdOptions o;
  o.lr = 0.5, o.momentum = 0.9, o.weight_decay = 0.1;
  SGD sgd(params, o);
  sgd.step();
  for (size_t i = 0; i < sizes.size(); ++i) {
    const std::vector<float> p = params[i].second.to_vector();
    if (i == 2) {
      CHECK(p == p0[i]);
      continue;
    }
    int wrong = 0;
    for (size_t j = 0; j < p.size(); ++j) {
      const float d = g0[i][j] + 0.1f * p0[i][j];  // first step: the buffer is d itself
      wrong += std::fabs(p[j] - (p0[i][j] - 0.5f * d)) > 1e-6f;
    }
    CHECK_MESSAGE(wrong == 0, "tensor " << i);
  }
  const auto sd = sgd.state_dict();
  CHECK(sd[2 * 2 + 1].first == "p2.step");
  CHECK(sd[2 * 2 + 1].second.to_vector<int32_t>()[0] == 0);
  CHECK(sd[2 * 3 + 1].second.to_vector<int32_t>()[0] == 1);
  sgd.zero_grad();
  for (const auto& [n, p] : params) CHECK(!p.grad().defined());
}

TEST_CASE("Adam on the CPU: the vectorised step is the scalar loop over adam_update bit for bit") {
  // The reference is the step as first written: one adam_update per element, in order. Sizes
  // across the chunk and vector widths; gradients spanning 1e-20 to 1e4 with a zero, a NaN and
  // an infinity; Adam without and with L2 decay, AdamW; three steps; 1, 2 and 3 threads.
  const std::vector<int64_t> sizes{1, 17, 4096, 4099, 20000};
  const int saved = omp_get_max_threads();
  for (int mode = 0; mode < 3; ++mode) {
    kernels::AdamHyper h;
    h.lr = 1e-3f, h.weight_decay = mode == 0 ? 0.0f : 0.01f, h.decoupled = mode == 2;
    std::vector<std::vector<float>> p, g, m, v;
    for (size_t k = 0; k < sizes.size(); ++k) {
      p.push_back(test::random_values(sizes[k], -1, 1, 40 + k));
      g.push_back(test::random_values(sizes[k], -1, 1, 50 + k));
      for (size_t i = 0; i < g.back().size(); ++i) g.back()[i] *= std::pow(10.0f, float(int(i % 25) - 20));
      m.push_back(std::vector<float>(size_t(sizes[k]), 0.0f));
      v.push_back(std::vector<float>(size_t(sizes[k]), 0.0f));
    }
    g[4][3] = 0.0f, g[4][4] = NAN, g[4][5] = INFINITY, p[4][6] = -0.0f;
    auto ref_p = p, ref_m = m, ref_v = v;
    for (int threads : {1, 2, 3}) {
      omp_set_num_threads(threads);
      auto tp = p, tm = m, tv = v;
      for (int step = 1; step <= 3; ++step) {
        std::vector<kernels::ParamSlot> slots(sizes.size());
        for (size_t k = 0; k < sizes.size(); ++k) {
          kernels::ParamSlot& s = slots[k];
          s.param = tp[k].data(), s.grad = g[k].data(), s.buf0 = tm[k].data(), s.buf1 = tv[k].data();
          s.n = sizes[k];
          s.step_size = float(1e-3 / (1 - std::pow(0.9, step)));
          s.bc2_sqrt = float(std::sqrt(1 - std::pow(0.999, step)));
          if (threads == 1)
            for (int64_t i = 0; i < s.n; ++i)
              kernels::adam_update(ref_p[k].data(), g[k].data(), ref_m[k].data(), ref_v[k].data(), i, h, s.step_size,
                                   s.bc2_sqrt);
        }
        const int64_t count = int64_t(slots.size()), nchunks = kernels::optim_chunk_count(slots.data(), count);
        std::vector<kernels::SlotChunk> chunks(static_cast<size_t>(nchunks));
        kernels::optim_fill_chunks(slots.data(), count, chunks.data());
        kernels::adam_step_cpu(slots.data(), chunks.data(), nchunks, h);
      }
      for (size_t k = 0; k < sizes.size(); ++k) {
        CAPTURE(mode);
        CAPTURE(threads);
        CAPTURE(k);
        CHECK(std::memcmp(tp[k].data(), ref_p[k].data(), tp[k].size() * 4) == 0);
        CHECK(std::memcmp(tm[k].data(), ref_m[k].data(), tm[k].size() * 4) == 0);
        CHECK(std::memcmp(tv[k].data(), ref_v[k].data(), tv[k].size() * 4) == 0);
      }
    }
  }
  omp_set_num_threads(saved);
}

TEST_CASE("optimizer state: save, load into a fresh optimizer, and resume bit for bit") {
  auto run = [](bool interrupt) {
    Tensor p = test::random_tensor({50}, -1, 1, 1);
    p.requires_grad_();
    AdamOptions o;
    o.lr = 0.05;
    auto opt = std::make_unique<AdamW>(NamedTensors{{"w", p}}, o);
    for (int step = 0; step < 6; ++step) {
      if (interrupt && step == 3) {
        const NamedTensors saved = opt->state_dict();
        NamedTensors copy;
        for (const auto& [n, t] : saved) copy.emplace_back(n, t.clone());
        opt = std::make_unique<AdamW>(NamedTensors{{"w", p}}, o);
        opt->set_lr(1.0);  // overwritten by the load
        opt->load_state_dict(copy, "resume");
        CHECK(opt->lr() == doctest::Approx(0.05));
      }
      set_grad(p, test::random_tensor({50}, -1, 1, 200 + uint64_t(step)));
      opt->step();
    }
    return p.to_vector();
  };
  const auto a = run(false), b = run(true);
  CHECK(std::memcmp(a.data(), b.data(), a.size() * 4) == 0);
}

TEST_CASE("optimizers: bad arguments and mismatched state give one-line errors") {
  Tensor p = Tensor::zeros({3});
  p.requires_grad_();
  CHECK(contains(error_of([] { SGD({}, SgdOptions{}); }), "SGD: no parameters to optimise"));
  CHECK(contains(error_of([&] {
                   SGD({{"a", p}, {"a", Tensor::zeros({2})}}, SgdOptions{});
                 }),
                 "SGD: parameter name 'a' given twice"));
  CHECK(contains(error_of([&] { SGD({{"a", p}, {"b", p}}, SgdOptions{}); }), "SGD: parameter 'b' given twice"));
  SgdOptions nes;
  nes.nesterov = true;
  CHECK(contains(error_of([&] { SGD({{"a", p}}, nes); }), "SGD: Nesterov momentum needs momentum > 0"));
  AdamOptions bad;
  bad.beta1 = 1.0;
  CHECK(contains(error_of([&] { Adam({{"a", p}}, bad); }), "Adam: betas must be in [0, 1)"));
  CHECK(contains(error_of([&] {
                   Adam({{"a", Tensor::zeros({2}, DType::I32)}}, AdamOptions{});
                 }),
                 "Adam: parameter 'a' must be a float32 tensor"));
  Adam adam({{"a", p}}, AdamOptions{});
  set_grad(p, Tensor::zeros({4}));
  CHECK(contains(error_of([&] { adam.step(); }), "Adam: gradient of 'a' is cpu [4] but the parameter is cpu [3]"));
  CHECK(contains(error_of([&] { adam.set_lr(-1); }), "Adam: learning rate must be finite and >= 0, got -1"));
  NamedTensors sd = adam.state_dict();
  sd[0].second = Tensor::zeros({5});
  CHECK(contains(error_of([&] { adam.load_state_dict(sd, "run.safetensors"); }),
                 "run.safetensors: tensor 'a.exp_avg' is float32 [5] but the Adam optimizer expects float32 [3]"));
  sd = adam.state_dict();
  sd.erase(sd.begin() + 2);
  CHECK(
      contains(error_of([&] { adam.load_state_dict(sd, "f"); }), "f: no tensor 'a.step' (the Adam optimizer has it)"));
}
