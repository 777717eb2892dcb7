// The loss kernel families on CUDA against their CPU twins, kernel by kernel and then op by op:
// kernels/binary_loss.cu, kernels/structure_loss.cu, kernels/shape_loss.cu, kernels/softmax_loss.cu
// and kernels/cross_entropy.cu against binary_loss_cpu.cpp, structure_loss_cpu.cpp,
// shape_loss_cpu.cpp, softmax_loss_cpu.cpp and cross_entropy_cpu.cpp.
//
// Tolerances, |cpu - gpu| <= tol + eps |cpu| per element:
//  - per-image sums and loss values: eps 2e-5. Both sides compute the per-pixel terms in
//    float (exp and log within 2 ulp on each side) and add them in a different order (CUDA:
//    float per thread and per block, double across blocks; CPU: float per 16-lane tile, double
//    across tiles); for sums of up to 2^20 positive terms the difference stays below 1e-5.
//  - gradients: eps 2e-5, tol 1e-6 of the largest |gradient| of the launch: a gradient element
//    is a per-pixel expression (a few ulp apart) times coefficients made from the sums above,
//    and some elements are differences of nearly equal terms.
//  - the contour bands: exact (min, max, subtraction of 0/1 values). The structure weight map:
//    its window sums are exact integers on both sides, but the two compilers may round
//    1 + 5 |m - g| differently: nvcc contracts a multiply-add into an FMA, and so does g++ in
//    C++ (its default is -ffp-contract=fast, even with -std=c++20) where the CPU has FMA,
//    unless the twin's file is built with -ffp-contract=off. One side may then round twice
//    where the other rounds once: 2 ulp (eps 2.4e-7).
// Raw kernel outputs and workspaces live in GuardedBuffers (guard values before and after), so
// an out-of-bounds write is caught too.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "core/autograd.h"
#include "core/ops.h"
#include "kernels/binary_loss_kernels.h"
#include "kernels/cross_entropy_kernels.h"
#include "kernels/shape_loss_kernels.h"
#include "kernels/softmax_loss_kernels.h"
#include "kernels/structure_loss_kernels.h"
#include "losses/edt.h"
#include "losses/loss_registry.h"
#include "losses/losses.h"
#include "tests/gpu/gpu_util.h"
#include "tests/test_util.h"

using namespace fbd;

namespace {
kernels::Stream S() { return cuda::stream(); }
void sync(const char* what) {
  cuda::check_launch(what);
  cuda::synchronize();
}

constexpr double kSumEps = 2e-5;

void check_grad(const std::vector<float>& cpu, const std::vector<float>& gpu, const std::string& what) {
  double scale = 0;
  for (float v : cpu) scale = std::max(scale, double(std::fabs(v)));
  test::check_close(cpu, gpu, 1e-6 * scale + 1e-30, 2e-5, what);
}

std::vector<float> mask_values(int64_t n, float density, uint64_t seed) {
  std::vector<float> u = test::random_values(n, 0, 1, seed);
  for (float& v : u) v = v < density ? 1.0f : 0.0f;
  return u;
}

std::vector<float> logit_values(int64_t n, uint64_t seed) {
  std::vector<float> z = test::random_values(n, -6, 6, seed);
  for (int64_t i = 0; i < n; i += 97) z[static_cast<size_t>(i)] = (i % 2) ? 50.0f : -50.0f;
  return z;
}

// A device workspace of `bytes` (at least one float), guarded.
test::GuardedBuffer workspace(size_t bytes) { return test::GuardedBuffer(int64_t(bytes / 4) + 1); }

}  // namespace

TEST_CASE("binary_loss: every term set, float4 and scalar paths, per-image and batch Dice") {
  struct Shape3 {
    int64_t N, H, W;
  };
  // 16 x 256 x 256 (the benchmark batch, many blocks per image), an odd size (scalar path,
  // ragged last block), one tiny image (one block).
  for (const Shape3 sh : {Shape3{16, 256, 256}, Shape3{3, 37, 41}, Shape3{1, 3, 5}}) {
    const int64_t N = sh.N, HW = sh.H * sh.W, n = N * HW;
    const auto z = logit_values(n, 1), g = mask_values(n, 0.2f, 2), phi = test::random_values(n, -20, 20, 3);
    test::GuardedBuffer dz(z), dg(g), dphi(phi);
    for (const uint32_t terms : {uint32_t(kernels::kBinaryDice), uint32_t(kernels::kBinaryFocal),
                                 uint32_t(kernels::kBinaryBce), uint32_t(kernels::kBinaryBoundary),
                                 uint32_t(kernels::kBinaryFbd), uint32_t(kernels::kBinaryFbd | kernels::kBinaryBce)}) {
      for (const bool batch : {false, true}) {
        INFO("N " << N << " HW " << HW << " terms " << terms << " batch " << batch);
        kernels::BinaryLossParams p;
        p.terms = terms;
        p.w_bce = 0.7f;
        p.batch = batch;
        p.squared = batch;  // both options on in one run, off in the other
        p.gamma = batch ? 1.5f : 2.0f;
        const bool with_g = terms != kernels::kBinaryBoundary;
        const float* gc = with_g ? g.data() : nullptr;
        const float* gd = with_g ? dg.data() : nullptr;
        std::vector<float> sums_cpu(static_cast<size_t>((N + 1) * kernels::kBinaryStats)),
            dz_cpu(static_cast<size_t>(n));
        float value_cpu = 0, go = 1.75f;
        kernels::binary_loss_forward_cpu(z.data(), gc, phi.data(), N, HW, p, sums_cpu.data(), &value_cpu);
        kernels::binary_loss_backward_cpu(z.data(), gc, phi.data(), N, HW, p, sums_cpu.data(), &go, dz_cpu.data());

        test::GuardedBuffer sums((N + 1) * kernels::kBinaryStats), value(1), grad(n), dgo(std::vector<float>{go});
        auto ws = workspace(kernels::binary_loss_workspace_bytes(N, HW));
        cuda::check_launch("binary_loss_forward",
                           kernels::binary_loss_forward_cuda(dz.data(), gd, dphi.data(), N, HW, p, sums.data(),
                                                             value.data(), ws.data(), S()));
        sync("binary_loss_forward");
        // Backward from the CPU's sums, so its tolerance covers the backward kernel alone.
        test::GuardedBuffer csums(sums_cpu);
        kernels::binary_loss_backward_cuda(dz.data(), gd, dphi.data(), N, HW, p, csums.data(), dgo.data(), grad.data(),
                                           S());
        sync("binary_loss_backward");
        test::check_close(sums_cpu, sums.download(), 1e-3, kSumEps, "sums");
        test::check_close({value_cpu}, value.download(), 1e-6, kSumEps, "value");
        check_grad(dz_cpu, grad.download(), "gradient");
        ws.download();
      }
    }
  }
}

TEST_CASE("binary_loss: the fused forward is deterministic and its last-block counter resets") {
  const int64_t N = 16, HW = 256 * 256, n = N * HW;
  const auto z = logit_values(n, 4), g = mask_values(n, 0.3f, 5), phi = test::random_values(n, -9, 9, 6);
  test::GuardedBuffer dz(z), dg(g), dphi(phi), sums((N + 1) * kernels::kBinaryStats), value(1);
  auto ws = workspace(kernels::binary_loss_workspace_bytes(N, HW));
  kernels::BinaryLossParams p;
  std::vector<float> first;
  for (int rep = 0; rep < 4; ++rep) {
    cuda::check_launch("binary_loss_forward",
                       kernels::binary_loss_forward_cuda(dz.data(), dg.data(), dphi.data(), N, HW, p, sums.data(),
                                                         value.data(), ws.data(), S()));
    sync("binary_loss_forward");
    // A smaller launch in between: a counter left non-zero would make it finish early or never.
    cuda::check_launch("binary_loss_forward",
                       kernels::binary_loss_forward_cuda(dz.data(), dg.data(), dphi.data(), 1, 1000, p, sums.data(),
                                                         value.data(), ws.data(), S()));
    cuda::check_launch("binary_loss_forward",
                       kernels::binary_loss_forward_cuda(dz.data(), dg.data(), dphi.data(), N, HW, p, sums.data(),
                                                         value.data(), ws.data(), S()));
    sync("binary_loss_forward");
    auto v = sums.download();
    v.push_back(value.download()[0]);
    if (rep == 0) first = v;
    CHECK(v == first);
    ws.check_guards();
  }
}

TEST_CASE("structure: weight map bit-identical, loss and boundary variant within the sum tolerance") {
  for (const auto& [N, H, W] : {std::tuple<int64_t, int64_t, int64_t>{16, 256, 256}, {2, 33, 300}, {1, 7, 5}}) {
    INFO("N " << N << " H " << H << " W " << W);
    const int64_t n = N * H * W, HW = H * W;
    const auto g = mask_values(n, 0.4f, 7), z = logit_values(n, 8), phi = test::random_values(n, -9, 9, 9);
    std::vector<float> w_cpu(static_cast<size_t>(n));
    kernels::structure_weight_cpu(g.data(), w_cpu.data(), N, H, W, 15, 5.0f);
    test::GuardedBuffer dg(g), dw(n), dz(z), dphi(phi), cw(w_cpu);
    auto wws = workspace(kernels::structure_weight_workspace_bytes(N, H, W));
    kernels::structure_weight_cuda(dg.data(), dw.data(), N, H, W, 15, 5.0f, wws.data(), S());
    sync("structure_weight");
    test::check_close(w_cpu, dw.download(), 0, 2.4e-7, "structure weight");
    wws.check_guards();
    for (const float lambda : {0.0f, 1.0f}) {
      for (const bool plain : {false, true}) {
        kernels::StructureParams p;
        p.lambda_bd = lambda;
        p.plain_mean_bce = plain;
        std::vector<float> sums_cpu(static_cast<size_t>((N + 1) * kernels::kStructStats)),
            dz_cpu(static_cast<size_t>(n));
        float value_cpu = 0, go = 0.5f;
        kernels::structure_loss_forward_cpu(z.data(), g.data(), w_cpu.data(), phi.data(), N, HW, p, sums_cpu.data(),
                                            &value_cpu);
        kernels::structure_loss_backward_cpu(z.data(), g.data(), w_cpu.data(), phi.data(), N, HW, p, sums_cpu.data(),
                                             &go, dz_cpu.data());
        test::GuardedBuffer sums((N + 1) * kernels::kStructStats), value(1), grad(n), csums(sums_cpu),
            dgo(std::vector<float>{go});
        auto ws = workspace(kernels::structure_loss_workspace_bytes(N, HW));
        cuda::check_launch("structure_loss_forward",
                           kernels::structure_loss_forward_cuda(dz.data(), dg.data(), cw.data(), dphi.data(), N, HW, p,
                                                                sums.data(), value.data(), ws.data(), S()));
        kernels::structure_loss_backward_cuda(dz.data(), dg.data(), cw.data(), dphi.data(), N, HW, p, csums.data(),
                                              dgo.data(), grad.data(), S());
        sync("structure_loss");
        test::check_close(sums_cpu, sums.download(), 1e-3, kSumEps, "structure sums");
        test::check_close({value_cpu}, value.download(), 1e-6, kSumEps, "structure value");
        check_grad(dz_cpu, grad.download(), "structure gradient");
        ws.check_guards();
      }
    }
  }
}

TEST_CASE("shape: compactness, bands, masked means and smoothness") {
  for (const auto& [N, H, W] : {std::tuple<int64_t, int64_t, int64_t>{16, 256, 256}, {3, 19, 23}, {2, 1, 9}}) {
    INFO("N " << N << " H " << H << " W " << W);
    const int64_t n = N * H * W;
    const auto z = test::random_values(n, -4, 4, 10);
    std::vector<float> sums_cpu(static_cast<size_t>((N + 1) * kernels::kCompactStats)), dz_cpu(static_cast<size_t>(n));
    float value_cpu = 0, go = 1.0f;
    kernels::compactness_forward_cpu(z.data(), N, H, W, 1e-8f, sums_cpu.data(), &value_cpu);
    kernels::compactness_backward_cpu(z.data(), N, H, W, 1e-8f, sums_cpu.data(), &go, dz_cpu.data());
    test::GuardedBuffer dz(z), sums((N + 1) * kernels::kCompactStats), value(1), grad(n), csums(sums_cpu),
        dgo(std::vector<float>{go});
    auto ws = workspace(kernels::compactness_workspace_bytes(N, H * W));
    cuda::check_launch("compactness_forward", kernels::compactness_forward_cuda(dz.data(), N, H, W, 1e-8f, sums.data(),
                                                                                value.data(), ws.data(), S()));
    kernels::compactness_backward_cuda(dz.data(), N, H, W, 1e-8f, csums.data(), dgo.data(), grad.data(), S());
    sync("compactness");
    test::check_close(sums_cpu, sums.download(), 1e-3, kSumEps, "compactness sums");
    test::check_close({value_cpu}, value.download(), 1e-6, kSumEps, "compactness value");
    check_grad(dz_cpu, grad.download(), "compactness gradient");
    ws.check_guards();

    const auto g = mask_values(n, 0.5f, 11);
    std::vector<float> c_cpu(static_cast<size_t>(n)), b_cpu(static_cast<size_t>(n));
    kernels::contour_bands_cpu(g.data(), c_cpu.data(), b_cpu.data(), N, H, W);
    test::GuardedBuffer dg(g), dc(n), db(n);
    kernels::contour_bands_cuda(dg.data(), dc.data(), db.data(), N, H, W, S());
    sync("contour_bands");
    CHECK(dc.download() == c_cpu);
    CHECK(db.download() == b_cpu);

    const int64_t C = 5, HW = H * W;
    const auto T = test::random_values(N * C * HW, -1, 1, 12), gec = test::random_values(N * C, -1, 1, 13),
               geb = test::random_values(N * C, -1, 1, 14);
    std::vector<float> ec(static_cast<size_t>(N * C)), eb(static_cast<size_t>(N * C)),
        counts(static_cast<size_t>(N * 2)), dT(static_cast<size_t>(N * C * HW));
    kernels::masked_means_forward_cpu(T.data(), c_cpu.data(), b_cpu.data(), N, C, HW, ec.data(), eb.data(),
                                      counts.data());
    kernels::masked_means_backward_cpu(c_cpu.data(), b_cpu.data(), counts.data(), gec.data(), geb.data(), N, C, HW,
                                       dT.data());
    test::GuardedBuffer dTin(T), dec(N * C), deb(N * C), dcounts(N * 2), dgec(gec), dgeb(geb), ddT(N * C * HW),
        ccounts(counts);
    kernels::masked_means_forward_cuda(dTin.data(), dc.data(), db.data(), N, C, HW, dec.data(), deb.data(),
                                       dcounts.data(), S());
    kernels::masked_means_backward_cuda(dc.data(), db.data(), ccounts.data(), dgec.data(), dgeb.data(), N, C, HW,
                                        ddT.data(), S());
    sync("masked_means");
    test::check_close(ec, dec.download(), 1e-6, kSumEps, "contour embeddings");
    test::check_close(eb, deb.download(), 1e-6, kSumEps, "background embeddings");
    CHECK(dcounts.download() == counts);                      // counts of 0/1 pixels: exact
    check_grad(dT, ddT.download(), "masked means gradient");  // a*b + c*d: nvcc may use an FMA
  }
  for (const auto& [V, D] : {std::pair<int64_t, int64_t>{16, 64}, {3, 7}, {1, 1}}) {
    const auto xc = test::random_values(V * D, -1, 1, 15), xb = test::random_values(V * D, -1, 1, 16);
    float value_cpu = 0, go = 2.0f;
    std::vector<float> gc(static_cast<size_t>(V * D)), gb(static_cast<size_t>(V * D));
    kernels::smoothness_forward_cpu(xc.data(), xb.data(), V, D, 1.0f, &value_cpu);
    kernels::smoothness_backward_cpu(xc.data(), xb.data(), V, D, 1.0f, &go, gc.data(), gb.data());
    test::GuardedBuffer dxc(xc), dxb(xb), value(1), dgc(V * D), dgb(V * D), dgo(std::vector<float>{go});
    auto ws = workspace(kernels::smoothness_workspace_bytes(V, D));
    kernels::smoothness_forward_cuda(dxc.data(), dxb.data(), V, D, 1.0f, value.data(), ws.data(), S());
    kernels::smoothness_backward_cuda(dxc.data(), dxb.data(), V, D, 1.0f, dgo.data(), dgc.data(), dgb.data(), ws.data(),
                                      S());
    sync("smoothness");
    test::check_close({value_cpu}, value.download(), 1e-6, kSumEps, "smoothness value");
    check_grad(gc, dgc.download(), "smoothness gradient c");
    check_grad(gb, dgb.download(), "smoothness gradient b");
    ws.download();
  }
}

TEST_CASE("softmax_loss: K = 2, 4, 8 with every term, background in and out") {
  for (const int K : {2, 4, 8}) {
    const int64_t N = 4, H = 64, W = 61, HW = H * W;
    auto y = test::random_values(N * HW, 0, float(K), uint64_t(20 + K));
    for (float& v : y) v = std::min(std::floor(v), float(K - 1));
    const auto z = logit_values(N * K * HW, uint64_t(30 + K)), phi = test::random_values(N * K * HW, -9, 9, 40);
    test::GuardedBuffer dz(z), dy(y), dphi(phi);
    for (const bool variant : {false, true}) {
      INFO("K " << K << " variant " << variant);
      kernels::SoftmaxLossParams p;
      p.classes = K;
      p.w_dice = 0.5f;
      p.w_focal = 0.3f;
      p.w_bd = 0.2f;
      p.include_background = !variant;
      p.batch = variant;
      p.squared = variant;
      p.gamma = variant ? 0.5f : 2.0f;
      for (int k = 0; k < K; ++k) p.class_weight[k] = 0.5f + 0.25f * float(k);
      const int nstats = kernels::softmax_stat_count(K);
      std::vector<float> sums_cpu(static_cast<size_t>((N + 1) * nstats)), dz_cpu(static_cast<size_t>(N * K * HW));
      float value_cpu = 0, go = 1.0f;
      kernels::softmax_loss_forward_cpu(z.data(), y.data(), phi.data(), N, HW, p, sums_cpu.data(), &value_cpu);
      kernels::softmax_loss_backward_cpu(z.data(), y.data(), phi.data(), N, HW, p, sums_cpu.data(), &go, dz_cpu.data());
      test::GuardedBuffer sums((N + 1) * nstats), value(1), grad(N * K * HW), csums(sums_cpu),
          dgo(std::vector<float>{go});
      auto ws = workspace(kernels::softmax_loss_workspace_bytes(N, HW, K));
      cuda::check_launch("softmax_loss_forward",
                         kernels::softmax_loss_forward_cuda(dz.data(), dy.data(), dphi.data(), N, HW, p, sums.data(),
                                                            value.data(), ws.data(), S()));
      kernels::softmax_loss_backward_cuda(dz.data(), dy.data(), dphi.data(), N, HW, p, csums.data(), dgo.data(),
                                          grad.data(), S());
      sync("softmax_loss");
      test::check_close(sums_cpu, sums.download(), 1e-3, kSumEps, "softmax sums");
      test::check_close({value_cpu}, value.download(), 1e-6, kSumEps, "softmax value");
      check_grad(dz_cpu, grad.download(), "softmax gradient");
      ws.check_guards();
    }
  }
}

TEST_CASE("loss ops: every loss forward and backward on CUDA equals the CPU op; bad input errors on CUDA") {
  const int64_t N = 4, H = 48, W = 52, K = 4;
  const Tensor g = Tensor::from_vector(mask_values(N * H * W, 0.25f, 50), {N, 1, H, W});
  const Tensor z0 = Tensor::from_vector(logit_values(N * H * W, 51), {N, 1, H, W});
  const Tensor phi = signed_distance_map(g);
  std::vector<float> labels = test::random_values(N * H * W, 0, float(K), 52);
  for (float& v : labels) v = std::min(std::floor(v), float(K - 1));
  const Tensor y = Tensor::from_vector(labels, {N, H, W});
  const Tensor mz0 = Tensor::from_vector(logit_values(N * K * H * W, 53), {N, K, H, W});
  // Every loss of the registry, with the maps it reads computed once on the CPU; then two
  // compositions that are not a registry row.
  using LossFn = std::function<Tensor(const Tensor& z, const LossInputs& in)>;
  std::vector<std::tuple<std::string, LossFn, LossInputs>> losses;
  for (const LossInfo& row : loss_registry()) {
    const bool mc = (row.needs & kNeedsLabels) != 0;
    LossInputs in;
    in.logits = mc ? mz0 : z0;
    if (row.needs != 0) in.target = mc ? y : g;
    complete_loss_inputs(row, in);
    losses.emplace_back(
        row.name,
        [&row](const Tensor& z, const LossInputs& at) {
          LossInputs with = at;
          with.logits = z;
          return row.compute(with, LossSettings{});
        },
        in);
  }
  LossInputs bin;
  bin.logits = z0;
  bin.target = g;
  bin.sdm = phi;
  losses.emplace_back(
      "structure (weight inside)", [](const Tensor& z, const LossInputs& in) { return structure_loss(z, in.target); },
      bin);
  losses.emplace_back(
      "deep supervision",
      [](const Tensor& z, const LossInputs& in) {
        return deep_supervision_loss(find_loss("fbd"), LossSettings{}, {z, z * 0.5f}, in, z, in.target);
      },
      bin);
  auto to = [](const LossInputs& in, Device d) {
    LossInputs out;
    for (auto [src, dst] : {std::pair{&in.logits, &out.logits},
                            {&in.target, &out.target},
                            {&in.sdm, &out.sdm},
                            {&in.weight, &out.weight},
                            {&in.class_sdm, &out.class_sdm}})
      if (src->defined()) *dst = src->to(d);
    return out;
  };
  for (const auto& [name, fn, in] : losses) {
    INFO("op " << name);
    std::vector<float> value[2], grad[2];
    for (int dev = 0; dev < 2; ++dev) {
      const Device d = dev == 0 ? Device::cpu() : Device::cuda();
      const LossInputs at = to(in, d);
      Tensor z = at.logits.detach();
      z.requires_grad_();
      const Tensor L = fn(z, at);
      L.backward();
      value[dev] = {L.item()};
      grad[dev] = z.grad().cpu().to_vector();
    }
    test::check_close(value[0], value[1], 1e-6, kSumEps, name + " value");
    check_grad(grad[0], grad[1], name + " gradient");
  }
  std::vector<float> zn = z0.to_vector();
  zn[77] = std::nanf("");
  CHECK(test::error_of([&] {
          focal_boundary_dice_loss(Tensor::from_vector(zn, z0.shape(), Device::cuda()), g.cuda(), phi.cuda());
        }).rfind("focal_boundary_dice_loss: logits must be finite, found nan at index 77", 0) == 0);
}

TEST_CASE("loss ops: embeddings, smoothness and multi-class on CUDA equal the CPU ops") {
  const int64_t N = 3, C = 4, H = 20, W = 22;
  const Tensor g = Tensor::from_vector(mask_values(N * H * W, 0.5f, 60), {N, 1, H, W});
  const Tensor T0 = test::random_tensor({N, C, H, W}, -1, 1, 61), up = test::random_tensor({N, 2, C}, -1, 1, 62);
  std::vector<float> grads[2], vals[2];
  for (int dev = 0; dev < 2; ++dev) {
    const Device d = dev == 0 ? Device::cpu() : Device::cuda();
    Tensor T = T0.to(d).detach();
    T.requires_grad_();
    const Tensor e = masked_embeddings(T, g.to(d));
    sum(mul(e, up.to(d))).backward();
    vals[dev] = e.cpu().to_vector();
    grads[dev] = T.grad().cpu().to_vector();
  }
  test::check_close(vals[0], vals[1], 1e-6, kSumEps, "embeddings");
  check_grad(grads[0], grads[1], "embeddings gradient");

  const Tensor labels = Tensor::from_vector(
      [] {
        auto v = test::random_values(2 * 16 * 18, 0, 3, 63);
        for (float& x : v) x = std::floor(x);
        return v;
      }(),
      {2, 16, 18});
  const Tensor mz0 = test::random_tensor({2, 3, 16, 18}, -4, 4, 64);
  const Tensor csdm = class_signed_distance_maps(labels, 3);
  for (int which = 0; which < 4; ++which) {
    std::vector<float> v[2], gr[2];
    for (int dev = 0; dev < 2; ++dev) {
      const Device d = dev == 0 ? Device::cpu() : Device::cuda();
      Tensor z = mz0.to(d).detach();
      z.requires_grad_();
      const Tensor L = which == 0   ? softmax_dice_loss(z, labels.to(d))
                       : which == 1 ? softmax_focal_loss(z, labels.to(d))
                       : which == 2
                           ? softmax_boundary_loss(z, csdm.to(d))
                           : softmax_focal_boundary_dice_loss(z, labels.to(d), csdm.to(d), softmax_fbd_defaults());
      L.backward();
      v[dev] = {L.item()};
      gr[dev] = z.grad().cpu().to_vector();
    }
    test::check_close(v[0], v[1], 1e-6, kSumEps, "softmax loss " + std::to_string(which));
    check_grad(gr[0], gr[1], "softmax gradient " + std::to_string(which));
  }
}

TEST_CASE("cross_entropy: the kernels against the CPU twin, guards, repeatability; the op; bad labels on CUDA") {
  // Per row, lse = m + log sum exp(z - m) with exp and log within 2 ulp on each side and the sum
  // over K in another order (CPU: sequential; CUDA: 32 lanes then a shuffle tree): a few ulp of
  // lse (|z| <= 8 here). The loss is a mean of row losses added in double: eps kSumEps. The
  // gradient exp(z - lse) - q, divided by N: differences of values <= 1, a few ulp of 1 / N.
  kernels::CrossEntropyGeom g;
  g.N = 70, g.K = 37, g.smoothing = 0.1f;  // rows longer than a warp, N not a multiple of the 8 rows per block
  const int64_t n = g.N * g.K;
  const auto z = test::random_values(n, -8, 8, 120);
  std::vector<float> y(static_cast<size_t>(g.N));
  for (int64_t i = 0; i < g.N; ++i) y[size_t(i)] = float((i * 7) % g.K);
  std::vector<float> stats(static_cast<size_t>(kernels::ce_stats_count(g.N))), dz(static_cast<size_t>(n));
  float value = 0, go = 0.7f;
  kernels::cross_entropy_forward_cpu(z.data(), y.data(), g, stats.data(), &value);
  kernels::cross_entropy_backward_cpu(z.data(), y.data(), g, stats.data(), &go, dz.data());
  test::GuardedBuffer dzin(z), dy(y), dgo(std::vector<float>{go});
  std::vector<float> runs[2];
  for (auto& run : runs) {
    test::GuardedBuffer dstats(kernels::ce_stats_count(g.N)), dvalue(1), ddz(n);
    kernels::cross_entropy_forward_cuda(dzin.data(), dy.data(), g, dstats.data(), dvalue.data(), S());
    sync("cross_entropy_forward");
    kernels::cross_entropy_backward_cuda(dzin.data(), dy.data(), g, dstats.data(), dgo.data(), ddz.data(), S());
    sync("cross_entropy_backward");
    const auto st = dstats.download();
    test::check_close(std::vector<float>(stats.begin(), stats.begin() + 2 * g.N),
                      std::vector<float>(st.begin(), st.begin() + 2 * g.N), 1e-6, kSumEps, "lse and row losses");
    test::check_close(std::vector<float>(stats.begin() + 2 * g.N, stats.end()),
                      std::vector<float>(st.begin() + 2 * g.N, st.end()), 0, 0, "bad counts");
    test::check_close({value}, dvalue.download(), 1e-6, kSumEps, "loss");
    check_grad(dz, ddz.download(), "gradient");
    run = ddz.download();
    run.push_back(dvalue.download()[0]);
  }
  CHECK(std::memcmp(runs[0].data(), runs[1].data(), runs[0].size() * 4) == 0);

  // The op, K = 2 (the benign / malignant classifier) and K = 1000 (ImageNet-sized rows).
  for (const auto& [N, K] : {std::pair<int64_t, int64_t>{33, 2}, std::pair<int64_t, int64_t>{8, 1000}}) {
    const Tensor z0 = test::random_tensor({N, K}, -5, 5, 130);
    std::vector<float> lv(static_cast<size_t>(N));
    for (int64_t i = 0; i < N; ++i) lv[size_t(i)] = float((i * 13) % K);
    const Tensor labels = Tensor::from_vector(lv, {N}).to_dtype(DType::I32);
    std::vector<float> v[2], gr[2];
    for (int dev = 0; dev < 2; ++dev) {
      const Device d = dev == 0 ? Device::cpu() : Device::cuda();
      Tensor zz = z0.to(d).detach();
      zz.requires_grad_();
      const Tensor L = cross_entropy_loss(zz, labels.to(d), 0.05f);
      L.backward();
      v[dev] = {L.item()};
      gr[dev] = zz.grad().cpu().to_vector();
    }
    test::check_close(v[0], v[1], 1e-6, kSumEps, "cross_entropy_loss K = " + std::to_string(K));
    check_grad(gr[0], gr[1], "cross_entropy_loss gradient K = " + std::to_string(K));
  }
  const Tensor zc = test::random_tensor({4, 3}, -1, 1, 140).cuda();
  CHECK(test::contains(test::error_of([&] {
                         cross_entropy_loss(zc, Tensor::from_vector({0, 1, 2, 3}, {4}).cuda());
                       }),
                       "cross_entropy_loss: labels must be class indices 0..2, found 3 at index 3"));
  std::vector<float> zn = zc.cpu().to_vector();
  zn[5] = NAN;
  CHECK(test::contains(test::error_of([&] {
                         cross_entropy_loss(Tensor::from_vector(zn, {4, 3}).cuda(), Tensor::zeros({4}).cuda());
                       }),
                       "cross_entropy_loss: logits must be finite, found nan at index 5"));
}
