// `fbd demo`: the main job for a new user.
//
// For now (engine milestone) it is a smoke run of the engine end to end: it fits a two-layer
// perceptron to tell points inside a disc from points outside it, with the engine's tensors,
// autograd, matmul, reductions, RNG and a hand-written SGD step, on the chosen device, and
// prints the loss falling and the final accuracy. Later milestones replace it with the
// paper's pipeline (synthesise phantom data, train, evaluate, report).
#include <cmath>
#include <cstdio>
#include <string>

#include "apps/commands.h"
#include "core/autograd.h"
#include "core/ops.h"
#include "core/rng.h"

namespace fbd::app {

namespace {

struct DemoOptions {
  std::string device = "auto";
  int steps = 300;
  uint64_t seed = 1;
};

// Binary cross-entropy on probabilities, clamped away from 0 and 1.
Tensor bce(const Tensor& p, const Tensor& y) {
  const Tensor pc = clamp(p, 1e-6f, 1.0f - 1e-6f);
  return neg(mean(y * log(pc) + (1.0f - y) * log(1.0f - pc)));
}

void sgd_step(Tensor& param, float lr) {
  NoGradGuard no_grad;
  param.copy_from(param - param.grad() * lr);
  param.zero_grad();
}

int run_demo(const DemoOptions& opt) {
  std::string note;
  const Device dev = resolve_device(opt.device, &note);
  std::printf("fbd demo (engine smoke run): %s\n", note.c_str());

  Generator gen(opt.seed);
  const int64_t n = 512, hidden = 32;
  // Points uniform in [-1, 1]^2; label 1 inside the disc of radius 0.6.
  Tensor x = Tensor::empty({n, 2}, DType::F32, Device::cpu());
  uniform_(x, -1.0f, 1.0f, gen);
  std::vector<float> xs = x.to_vector(), ys(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ys[size_t(i)] = std::hypot(xs[size_t(2 * i)], xs[size_t(2 * i + 1)]) < 0.6f;
  Tensor y = Tensor::from_vector(ys, {n, 1}, dev);
  x = x.to(dev);

  Tensor w1 = Tensor::empty({2, hidden}, DType::F32, Device::cpu()), b1 = Tensor::zeros({hidden}, DType::F32, dev);
  Tensor w2 = Tensor::empty({hidden, 1}, DType::F32, Device::cpu()), b2 = Tensor::zeros({1}, DType::F32, dev);
  normal_(w1, 0.0f, 1.0f, gen);
  normal_(w2, 0.0f, std::sqrt(1.0f / float(hidden)), gen);
  w1 = w1.to(dev);
  w2 = w2.to(dev);
  for (Tensor* p : {&w1, &b1, &w2, &b2}) p->requires_grad_();

  float first = 0.0f, last = 0.0f;
  for (int step = 0; step <= opt.steps; ++step) {
    const Tensor h = relu(add(matmul(x, w1), b1));
    const Tensor p = sigmoid(add(matmul(h, w2), b2));
    const Tensor loss = bce(p, y);
    last = loss.item();
    if (step == 0) first = last;
    if (step % 50 == 0) std::printf("  step %4d  loss %.4f\n", step, last);
    if (step == opt.steps) {
      const std::vector<float> pv = p.to_vector();
      int correct = 0;
      for (int64_t i = 0; i < n; ++i) correct += (pv[size_t(i)] >= 0.5f) == (ys[size_t(i)] >= 0.5f);
      std::printf("fbd demo: loss %.4f -> %.4f, training accuracy %.1f%% on %s\n", first, last,
                  100.0 * correct / double(n), dev.str().c_str());
      break;
    }
    loss.backward();
    for (Tensor* param : {&w1, &b1, &w2, &b2}) sgd_step(*param, 0.5f);
  }
  FBD_CHECK(std::isfinite(last) && last < first, "demo: the loss did not fall (", first, " -> ", last, ")");
  return 0;
}

void register_demo(CLI::App& app) {
  auto opt = std::make_shared<DemoOptions>();
  auto* cmd = app.add_subcommand("demo", "Run the main job (for now: an engine smoke run that trains a small MLP)");
  cmd->add_option("--device", opt->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--steps", opt->steps, "SGD steps")->capture_default_str()->check(CLI::Range(1, 100000));
  cmd->add_option("--seed", opt->seed, "seed for data and weights")->capture_default_str();
  cmd->callback([opt] { run_demo(*opt); });
}

const CommandRegistrar registrar(20, register_demo);
}  // namespace

}  // namespace fbd::app
