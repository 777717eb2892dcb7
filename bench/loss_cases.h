// The loss benchmark cases, shared by bench/losses.cpp (CPU) and bench/cuda/losses.cpp (CUDA)
// and mirrored in PyTorch by bench/compare_torch_losses.py: one case per loss of the registry
// (and a few pieces that are not a registered loss), forward and backward through autograd,
// on the paper's loss-map batch (16 x 1 x 256 x 256; the
// multi-class cases 16 x 4 x 256 x 256; the embeddings 16 x 32 x 128 x 128 features).
//
// Bytes per iteration are those of fbd's two-pass schedule (docs/kernels/): what the fused
// kernels must move at least. The naive compound is charged the same bytes, so its GB/s reads
// as "effective" bandwidth and the ratio of the two is the speedup fusion bought.
#pragma once
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/rng.h"
#include "losses/edt.h"
#include "losses/loss_registry.h"
#include "losses/losses.h"

namespace fbd::bench {

inline constexpr int64_t kLossN = 16, kLossH = 256, kLossW = 256, kLossK = 4;
inline constexpr int64_t kEmbC = 32, kEmbH = 128, kEmbW = 128, kSmoothD = 64;

// Inputs on one device, built once: a few discs per image as the target, N(0, 2) logits.
struct LossBenchData {
  Tensor z, g, phi, w;           // binary: [16, 1, 256, 256]
  Tensor mz, labels, class_sdm;  // multi-class: [16, 4, 256, 256], labels [16, 256, 256]
  Tensor features, xc, xb;       // embeddings [16, 32, 128, 128]; smoothness [16, 64]
};

inline Tensor bench_normal(const Shape& s, float std, uint64_t seed) {
  Generator gen(seed);
  Tensor t = Tensor::empty(s);
  normal_(t, 0.0f, std, gen);
  return t;
}

inline LossBenchData make_loss_inputs(Device dev) {
  LossBenchData in;
  const int64_t N = kLossN, H = kLossH, W = kLossW;
  std::vector<float> g(static_cast<size_t>(N * H * W), 0.0f), y(g.size(), 0.0f);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t yy = 0; yy < H; ++yy)
      for (int64_t x = 0; x < W; ++x) {
        const double cx = 80 + 6 * n, cy = 120 - 3 * n, r = 20 + 2 * n;
        const double d = std::hypot(double(x) - cx, double(yy) - cy);
        const size_t i = static_cast<size_t>((n * H + yy) * W + x);
        g[i] = d <= r ? 1.0f : 0.0f;
        y[i] = d <= r ? 1.0f : (std::hypot(double(x) - 180, double(yy) - 180) <= 30 ? 2.0f : (x < 20 ? 3.0f : 0.0f));
      }
  const Tensor gc = Tensor::from_vector(g, {N, 1, H, W}), yc = Tensor::from_vector(y, {N, H, W});
  in.g = gc.to(dev);
  in.phi = signed_distance_map(gc).to(dev);
  in.w = structure_weight(gc).to(dev);
  in.z = bench_normal({N, 1, H, W}, 2.0f, 1).to(dev);
  in.labels = yc.to(dev);
  in.class_sdm = class_signed_distance_maps(yc, int(kLossK)).to(dev);
  in.mz = bench_normal({N, kLossK, H, W}, 2.0f, 2).to(dev);
  in.features = bench_normal({N, kEmbC, kEmbH, kEmbW}, 1.0f, 3).to(dev);
  in.xc = bench_normal({N, kSmoothD}, 1.0f, 4).to(dev);
  in.xb = bench_normal({N, kSmoothD}, 1.0f, 5).to(dev);
  return in;
}

// One case: its name, bytes per iteration, and the op on the inputs (returns the loss; the
// caller backpropagates from it). `x` is the leaf that requires grad (logits, features or xc).
struct LossCase {
  std::string name;
  double bytes;
  std::function<Tensor(const LossBenchData& in, const Tensor& x)> loss;
  int leaf;  // 0: binary logits, 1: multi-class logits, 2: features, 3: xc
};

// "fbd-naive" -> "loss_fbd_naive"
inline std::string loss_case_name(const std::string& loss) {
  std::string n = "loss_" + loss;
  for (char& ch : n)
    if (ch == '-') ch = '_';
  return n;
}

// One case per loss of the registry (losses/loss_registry.h), with its default settings and
// every map it reads precomputed, as a training step has them; then the cases that are not a
// registered loss: the structure loss computing its weight map inside (as F3Net's code does),
// and the pieces of the shape-aware smoothness term.
inline std::vector<LossCase> loss_cases() {
  const double px = double(kLossN * kLossH * kLossW), K = double(kLossK);
  const double emb = double(kLossN * kEmbC * kEmbH * kEmbW);
  using In = const LossBenchData&;
  using X = const Tensor&;
  std::vector<LossCase> cases;
  for (const LossInfo& row : loss_registry()) {
    const bool mc = (row.needs & kNeedsLabels) != 0;
    cases.push_back({loss_case_name(row.name), (row.bytes_per_pixel + (mc ? K : 1.0) * row.bytes_per_class) * px,
                     [&row, mc](In in, X z) {
                       LossInputs li;
                       li.logits = z;
                       li.target = mc ? in.labels : in.g;
                       li.sdm = in.phi;
                       li.weight = in.w;
                       li.class_sdm = in.class_sdm;
                       return row.compute(li, LossSettings{});
                     },
                     mc ? 1 : 0});
  }
  // The weight map inside the loss, as F3Net's structure_loss computes it (20 B/pixel more).
  cases.push_back({"loss_structure", 48 * px, [](In in, X z) { return structure_loss(z, in.g); }, 0});
  // Mask-averaged embeddings of 16 x 32 x 128 x 128 features over the bands of the top-left
  // 128 x 128 of the target, summed so backward has a scalar.
  cases.push_back({"loss_embeddings", 8 * emb,
                   [](In in, X T) { return sum(masked_embeddings(T, slice(slice(in.g, 2, 0, kEmbH), 3, 0, kEmbW))); },
                   2});
  cases.push_back(
      {"loss_smoothness", 16.0 * kLossN * kSmoothD, [](In in, X xc) { return smoothness_loss(xc, in.xb); }, 3});
  return cases;
}

// The leaf of a case, a fresh copy that requires grad.
inline Tensor loss_leaf(const LossBenchData& in, int leaf) {
  const Tensor& src = leaf == 0 ? in.z : leaf == 1 ? in.mz : leaf == 2 ? in.features : in.xc;
  Tensor x = src.clone().detach();
  x.requires_grad_();
  return x;
}

}  // namespace fbd::bench
