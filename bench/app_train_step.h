// One training step of an app network (apps/nets/) with its training loss and AdamW: forward,
// loss, backward, clipping, step. fbdnet trains with the paper's loss (Eq. 3: Focal Boundary
// Dice on the three side outputs + the focal edge loss); the Table 3 baselines with their own
// default loss (NetInfo::default_loss: denseunet BCE, resunet and vnet2d soft Dice) on their one
// output; pix2pix with its GAN step (unet and attunet have no PyTorch twin yet). The Table 4 classifiers likewise, on
// BCE. The targets' signed distance maps are made once, outside the timed step, on both
// sides (bench/compare_torch_app.py builds the same networks in PyTorch). Reports time per step
// and the peak memory the step allocates.
#pragma once
#include <chrono>
#include <cmath>
#include <string>

#include "apps/classify/classifier_registry.h"
#include "apps/nets/net_registry.h"
#include "apps/train/trainer.h"
#include "apps/train/training_loss.h"
#include "bench/bench_common.h"
#include "core/allocator.h"
#include "core/cuda_context.h"
#include "core/rng.h"
#include "losses/losses.h"
#include "optim/optim.h"

namespace fbd::bench {

// A batch of discs of random centre and radius: images (disc brighter than noise), masks, edges.
inline void disc_batch(int64_t n, int64_t s, Tensor& image, Tensor& mask, Tensor& edge) {
  Generator gen(7);
  Tensor u = rand({n, 3}, Device::cpu(), gen), noise = randn({n, 1, s, s}, Device::cpu(), gen);
  std::vector<float> img(static_cast<size_t>(n * s * s)), m(img.size()), e(img.size());
  const std::vector<float> uv = u.to_vector(), nv = noise.to_vector();
  for (int64_t b = 0; b < n; ++b) {
    const double cy = s * (0.3 + 0.4 * uv[size_t(3 * b)]), cx = s * (0.3 + 0.4 * uv[size_t(3 * b + 1)]);
    const double r = s * (0.05 + 0.1 * uv[size_t(3 * b + 2)]);
    for (int64_t y = 0; y < s; ++y)
      for (int64_t x = 0; x < s; ++x) {
        const size_t i = size_t((b * s + y) * s + x);
        const double d = std::hypot(y - cy, x - cx);
        m[i] = d <= r;
        e[i] = d <= r && d > r - 1.5;
        img[i] = float(m[i] + 0.3 * nv[i]);
      }
  }
  image = Tensor::from_vector(img, {n, 1, s, s});
  mask = Tensor::from_vector(m, {n, 1, s, s});
  edge = Tensor::from_vector(e, {n, 1, s, s});
}

// Times `step` per iteration (after one warm-up call: caches, cuDNN's algorithm search) and
// reports the peak memory it allocates and images per second for a batch of n.
template <class Step>
void time_step(benchmark::State& state, Device device, int64_t n, Step&& step) {
  step();
  size_t base = 0;
  if (device.is_cuda()) {
    cuda::allocator().reset_peak();
    base = cuda::allocator().stats().current;
  } else {
    cpu_reset_peak();
    base = cpu_memory_stats().current;
  }
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    step();
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    seconds += t;
    if (device.is_cuda()) state.SetIterationTime(t);
  }
  const size_t peak = device.is_cuda() ? cuda::allocator().stats().peak : cpu_memory_stats().peak;
  state.counters["peak_MB"] = double(peak - base) / 1e6;
  state.counters["images_per_s"] = double(n) * double(state.iterations()) / seconds;
}

// The step of network `name` (apps/nets/net_registry.h). Arguments: batch, size, width.
// pix2pix takes the trainer's GAN step (apps/train/trainer.h: a discriminator and a generator
// Adam step, lr 2e-4, beta1 0.5); the others one AdamW step on their loss, clipped at norm 5.
inline void net_step(benchmark::State& state, Device device, const std::string& name) {
  const int64_t n = state.range(0), s = state.range(1);
  app::NetConfig nc;
  nc.net = name;
  nc.width = int(state.range(2));
  Generator gen(1);
  auto net = app::make_net(nc, gen);
  net->to(device);
  Tensor image, mask, edge;
  disc_batch(n, s, image, mask, edge);
  image = image.to(device), mask = mask.to(device), edge = edge.to(device);
  app::LossConfig lc;
  lc.name = app::find_net(name).default_loss;
  if (lc.name == app::kPix2PixLoss) {
    app::RunConfig rc;
    rc.net = nc;
    rc.loss = lc;
    rc.lr = 2e-4;
    auto gan = app::make_train_step(*net, rc);
    int64_t k = 0;
    time_step(state, device, n, [&] {
      gan->step(image, mask, edge, k++, rc.lr);
      if (device.is_cuda()) cuda::synchronize();
    });
    return;
  }
  optim::AdamOptions ao;
  ao.lr = 1e-3;
  ao.weight_decay = 1e-4;
  optim::AdamW opt(net->named_parameters(), ao);
  const app::Targets targets = app::prepare_targets(lc, mask, edge);
  time_step(state, device, n, [&] {
    const app::SegOutput out = net->forward_seg(image);
    const Tensor loss = app::training_loss(lc, *net, out, targets);
    opt.zero_grad();
    loss.backward();
    optim::clip_grad_norm_(opt.params(), 5.0);
    opt.step();
    if (device.is_cuda()) cuda::synchronize();
  });
}

// The training step of an image classifier of Table 4 (apps/classify/classifier_registry.h):
// BCE with logits of one logit per image against 0/1 labels, AdamW at the network's own rate
// (weight decay 1e-4), on a batch of noise images. Arguments: batch, input size, width
// multiplier in thousandths.
inline void classifier_step(benchmark::State& state, Device device, const std::string& name) {
  const int64_t n = state.range(0), s = state.range(1);
  app::CnnConfig cc;
  cc.input_size = s;
  cc.width_mult = double(state.range(2)) / 1000.0;
  Generator gen(1);
  auto net = app::make_classifier(name, cc, gen);
  net->to(device);
  net->train();
  optim::AdamOptions ao;
  ao.lr = app::find_classifier(name).lr;
  ao.weight_decay = 1e-4;
  optim::AdamW opt(net->named_parameters(), ao);
  const Tensor x = randn({n, 1, s, s}, Device::cpu(), gen).to(device);
  std::vector<float> y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) y[size_t(i)] = float(i % 2);
  const Tensor target = Tensor::from_vector(y, {n, 1}).to(device);
  time_step(state, device, n, [&] {
    const Tensor loss = bce_loss(net->forward(x), target);
    opt.zero_grad();
    loss.backward();
    opt.step();
    if (device.is_cuda()) cuda::synchronize();
  });
}

// The networks and classifiers with a training-step case, each with its PyTorch twin in
// compare_torch_app.py (cases "DEVICE/NAME_step" and "DEVICE/NAME_cls_step").
inline const char* const kStepNets[] = {"fbdnet", "resunet", "denseunet", "vnet2d", "pix2pix"};
inline const char* const kStepClassifiers[] = {"vgg16", "inceptionv3", "resnet50", "alexnet", "fcnn"};

}  // namespace fbd::bench
