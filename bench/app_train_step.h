// One training step of the app's paper network (apps/nets/fbdnet.cpp) with the paper's loss (Eq. 3:
// Focal Boundary Dice on the three side outputs + the focal edge loss) and AdamW: forward,
// loss, backward, clipping, step. The targets' signed distance maps are made once, outside the
// timed step, on both sides (bench/compare_torch_app.py builds the same network in PyTorch).
// Reports time per step and the peak memory the step allocates.
#pragma once
#include <chrono>
#include <cmath>

#include "apps/nets/net_registry.h"
#include "apps/train/training_loss.h"
#include "bench/bench_common.h"
#include "core/allocator.h"
#include "core/cuda_context.h"
#include "core/rng.h"
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

// Arguments: batch, size, width.
inline void fbdnet_step(benchmark::State& state, Device device) {
  const int64_t n = state.range(0), s = state.range(1);
  app::NetConfig nc;
  nc.width = int(state.range(2));
  Generator gen(1);
  auto net = app::make_net(nc, gen);
  net->to(device);
  optim::AdamOptions ao;
  ao.lr = 1e-3;
  ao.weight_decay = 1e-4;
  optim::AdamW opt(net->named_parameters(), ao);
  Tensor image, mask, edge;
  disc_batch(n, s, image, mask, edge);
  image = image.to(device), mask = mask.to(device), edge = edge.to(device);
  app::LossConfig lc;
  const app::Targets targets = app::prepare_targets(lc, mask, edge);
  auto step = [&] {
    const app::SegOutput out = net->forward_seg(image);
    const Tensor loss = app::training_loss(lc, *net, out, targets);
    opt.zero_grad();
    loss.backward();
    optim::clip_grad_norm_(opt.params(), 5.0);
    opt.step();
    if (device.is_cuda()) cuda::synchronize();
  };
  step();  // warm-up: caches, cuDNN's algorithm search
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

}  // namespace fbd::bench
