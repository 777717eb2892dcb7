// The blocks-done counters of the last-block reductions (kernels/image_sums.cuh): the forwards of
// binary_loss, structure_loss, compactness and softmax_loss count their finished blocks in
// the launch's workspace and zero the counter on the stream before each launch.
//
//  - A workspace that holds garbage where the counter lives (what a launch that stopped before
//    its last block leaves behind) must not change the result: every forward is run on a
//    workspace filled with several non-zero patterns and must give the bits of a run on a zeroed
//    one, which in turn must match the CPU twin within the sum tolerance of
//    test_parity_losses.cpp.
//  - Two launches in flight at once on two streams must not count each other's blocks (they
//    did when the counter was one __device__ global per file): each is repeated on its own
//    stream beside the other, at a size that fills the GPU and at one that leaves room for both,
//    and must repeat its single-stream result bit for bit.
#include <cuda_runtime.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <ios>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "core/cuda_context.h"
#include "kernels/binary_loss_kernels.h"
#include "kernels/shape_loss_kernels.h"
#include "kernels/softmax_loss_kernels.h"
#include "kernels/structure_loss_kernels.h"
#include "tests/gpu/gpu_util.h"
#include "tests/test_util.h"

using namespace fbd;

namespace {

constexpr double kSumEps = 2e-5;  // as tests/gpu/test_parity_losses.cpp

std::vector<float> mask_values(int64_t n, float density, uint64_t seed) {
  std::vector<float> u = test::random_values(n, 0, 1, seed);
  for (float& v : u) v = v < density ? 1.0f : 0.0f;
  return u;
}

// One last-block reduction on fixed inputs: its host inputs, the same on the device, the CPU
// twin's sums and value, and the CUDA forward into (sums, value) with a workspace on a stream.
struct Reduction {
  std::string name;
  int64_t sums_len = 0;
  size_t workspace_bytes = 0;
  std::vector<std::shared_ptr<test::GuardedBuffer>> device_inputs;
  std::vector<float> cpu_sums;
  float cpu_value = 0;
  std::function<kernels::LaunchStatus(float* sums, float* value, void* workspace, kernels::Stream s)> forward;
};

std::shared_ptr<test::GuardedBuffer> upload(Reduction& r, const std::vector<float>& v) {
  r.device_inputs.push_back(std::make_shared<test::GuardedBuffer>(v));
  return r.device_inputs.back();
}

// The four families' forwards on a batch of N images of H x W (the softmax one with 4 classes).
std::vector<Reduction> reductions(int64_t N, int64_t H, int64_t W, uint64_t seed) {
  const int64_t HW = H * W, n = N * HW;
  const auto z = test::random_values(n, -6, 6, seed), g = mask_values(n, 0.3f, seed + 1),
             phi = test::random_values(n, -9, 9, seed + 2);
  std::vector<Reduction> out;
  {
    Reduction r;
    r.name = "binary_loss";
    kernels::BinaryLossParams p;
    p.terms = kernels::kBinaryFbd | kernels::kBinaryBce;
    p.w_bce = 0.7f;
    r.sums_len = (N + 1) * kernels::kBinaryStats;
    r.workspace_bytes = kernels::binary_loss_workspace_bytes(N, HW);
    r.cpu_sums.resize(size_t(r.sums_len));
    kernels::binary_loss_forward_cpu(z.data(), g.data(), phi.data(), N, HW, p, r.cpu_sums.data(), &r.cpu_value);
    const auto dz = upload(r, z), dg = upload(r, g), dphi = upload(r, phi);
    r.forward = [=](float* sums, float* value, void* ws, kernels::Stream s) {
      return kernels::binary_loss_forward_cuda(dz->data(), dg->data(), dphi->data(), N, HW, p, sums, value, ws, s);
    };
    out.push_back(std::move(r));
  }
  {
    Reduction r;
    r.name = "structure_loss";
    kernels::StructureParams p;
    p.lambda_bd = 1.0f;
    std::vector<float> w(static_cast<size_t>(n));
    kernels::structure_weight_cpu(g.data(), w.data(), N, H, W, 15, 5.0f);
    r.sums_len = (N + 1) * kernels::kStructStats;
    r.workspace_bytes = kernels::structure_loss_workspace_bytes(N, HW);
    r.cpu_sums.resize(size_t(r.sums_len));
    kernels::structure_loss_forward_cpu(z.data(), g.data(), w.data(), phi.data(), N, HW, p, r.cpu_sums.data(),
                                        &r.cpu_value);
    const auto dz = upload(r, z), dg = upload(r, g), dw = upload(r, w), dphi = upload(r, phi);
    r.forward = [=](float* sums, float* value, void* ws, kernels::Stream s) {
      return kernels::structure_loss_forward_cuda(dz->data(), dg->data(), dw->data(), dphi->data(), N, HW, p, sums,
                                                  value, ws, s);
    };
    out.push_back(std::move(r));
  }
  {
    Reduction r;
    r.name = "compactness";
    r.sums_len = (N + 1) * kernels::kCompactStats;
    r.workspace_bytes = kernels::compactness_workspace_bytes(N, HW);
    r.cpu_sums.resize(size_t(r.sums_len));
    kernels::compactness_forward_cpu(z.data(), N, H, W, 1e-8f, r.cpu_sums.data(), &r.cpu_value);
    const auto dz = upload(r, z);
    r.forward = [=](float* sums, float* value, void* ws, kernels::Stream s) {
      return kernels::compactness_forward_cuda(dz->data(), N, H, W, 1e-8f, sums, value, ws, s);
    };
    out.push_back(std::move(r));
  }
  {
    Reduction r;
    r.name = "softmax_loss";
    constexpr int K = 4;
    kernels::SoftmaxLossParams p;
    p.classes = K;
    p.w_dice = 0.5f;
    p.w_focal = 0.3f;
    p.w_bd = 0.2f;
    auto y = test::random_values(n, 0, float(K), seed + 3);
    for (float& v : y) v = std::min(std::floor(v), float(K - 1));
    const auto zk = test::random_values(n * K, -6, 6, seed + 4), phik = test::random_values(n * K, -9, 9, seed + 5);
    r.sums_len = (N + 1) * kernels::softmax_stat_count(K);
    r.workspace_bytes = kernels::softmax_loss_workspace_bytes(N, HW, K);
    r.cpu_sums.resize(size_t(r.sums_len));
    kernels::softmax_loss_forward_cpu(zk.data(), y.data(), phik.data(), N, HW, p, r.cpu_sums.data(), &r.cpu_value);
    const auto dz = upload(r, zk), dy = upload(r, y), dphi = upload(r, phik);
    r.forward = [=](float* sums, float* value, void* ws, kernels::Stream s) {
      return kernels::softmax_loss_forward_cuda(dz->data(), dy->data(), dphi->data(), N, HW, p, sums, value, ws, s);
    };
    out.push_back(std::move(r));
  }
  return out;
}

// The output buffers and workspace of one forward.
struct Run {
  test::GuardedBuffer sums, value, workspace;
  explicit Run(const Reduction& r) : sums(r.sums_len), value(1), workspace(int64_t(r.workspace_bytes / 4) + 1) {}

  void launch(const Reduction& r, kernels::Stream s) {
    const kernels::LaunchStatus st = r.forward(sums.data(), value.data(), workspace.raw(), s);
    CHECK_MESSAGE(st.ok(), r.name << ": " << (st.call != nullptr ? st.call : "") << " failed with error " << st.error);
  }
  // sums then value; call after the device has finished.
  std::vector<float> result() {
    std::vector<float> v = sums.download();
    v.push_back(value.download()[0]);
    workspace.download();  // checks the guards around the workspace too
    return v;
  }
};

// Every word of the workspace set to `bits` (the counter's word included).
void fill_workspace(Run& run, uint32_t bits) {
  std::vector<float> words(size_t(run.workspace.size()));
  for (float& w : words) std::memcpy(&w, &bits, 4);
  run.workspace.upload(words);
}

void sync_device(const std::string& what) {
  REQUIRE_MESSAGE(cudaDeviceSynchronize() == cudaSuccess, what);
  cuda::check_launch(what.c_str());
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// A non-blocking stream of its own, destroyed with the object.
struct OwnStream {
  cudaStream_t s = nullptr;
  OwnStream() { REQUIRE(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking) == cudaSuccess); }
  ~OwnStream() { cudaStreamDestroy(s); }
  OwnStream(const OwnStream&) = delete;
  OwnStream& operator=(const OwnStream&) = delete;
};

}  // namespace

TEST_CASE("last-block reductions: garbage where the counter lives does not change the result") {
  for (const auto& [N, H, W] : {std::tuple<int64_t, int64_t, int64_t>{16, 256, 256}, {3, 37, 41}, {1, 3, 5}}) {
    for (const Reduction& r : reductions(N, H, W, 11)) {
      INFO(r.name << " N " << N << " H " << H << " W " << W);
      Run run(r);
      fill_workspace(run, 0u);
      run.launch(r, cuda::stream());
      sync_device(r.name);
      const std::vector<float> clean = run.result();
      std::vector<float> cpu = r.cpu_sums;
      cpu.push_back(r.cpu_value);
      test::check_close(cpu, clean, 1e-3, kSumEps, r.name + " against the CPU twin");
      // 1 and 7: the last block would be found too early; all ones: never (the sums would be
      // left unwritten); a NaN payload, as the guard values are.
      for (const uint32_t poison : {1u, 7u, 0xffffffffu, 0x7fc0beefu}) {
        INFO("workspace filled with 0x" << std::hex << poison);
        fill_workspace(run, poison);
        run.launch(r, cuda::stream());
        sync_device(r.name);
        CHECK(same_bits(run.result(), clean));
      }
    }
  }
}

TEST_CASE("last-block reductions: two launches in flight on two streams do not count each other's blocks") {
  OwnStream a, b;
  // 16 x 256 x 256 fills the GPU about twice (the launches overlap at their ends); 2 x 48 x 64
  // is a few blocks each, so the two launches run side by side.
  for (const auto& [N, H, W] : {std::tuple<int64_t, int64_t, int64_t>{16, 256, 256}, {2, 48, 64}}) {
    const std::vector<Reduction> first = reductions(N, H, W, 21), second = reductions(N, H, W, 31);
    for (size_t k = 0; k < first.size(); ++k) {
      const Reduction &ra = first[k], &rb = second[k];
      INFO(ra.name << " N " << N << " H " << H << " W " << W);
      // Each on its own, one after the other, on fbd's stream.
      Run run_a(ra), run_b(rb);
      run_a.launch(ra, cuda::stream());
      run_b.launch(rb, cuda::stream());
      sync_device(ra.name);
      const std::vector<float> want_a = run_a.result(), want_b = run_b.result();
      REQUIRE_FALSE(same_bits(want_a, want_b));  // different inputs: a mix-up would show
      // Both at once, many times.
      for (int rep = 0; rep < 20; ++rep) {
        INFO("repetition " << rep);
        run_a.launch(ra, a.s);
        run_b.launch(rb, b.s);
        sync_device(ra.name);
        CHECK(same_bits(run_a.result(), want_a));
        CHECK(same_bits(run_b.result(), want_b));
      }
    }
  }
}
