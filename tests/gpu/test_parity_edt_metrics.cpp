// The exact EDT, the signed distance map and the metrics: CUDA (kernels/edt.cu, kernels/metrics.cu)
// against the CPU twins (kernels/edt_cpu.cpp, kernels/metrics_cpu.cpp).
//
// Tolerance: none, bit for bit, for every spacing. Both sides run the same double arithmetic
// of kernels/edt.cuh (on the device through the _rn intrinsics, which are never contracted into
// FMA), read the same integer column codes and take the same correctly rounded sqrt, so equal
// inputs give equal floats; for unit spacing these are also the exact distances (the CPU tests
// hold the twin against brute force and SciPy). The metrics are integer counts, the EDTs above
// and percentiles from the same sorted values with the same code: exact as well.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "core/npy.h"
#include "kernels/edt_kernels.h"
#include "kernels/metrics_kernels.h"
#include "losses/edt.h"
#include "losses/metrics.h"
#include "tests/gpu/gpu_util.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;

namespace {

// Bitwise equality (so +inf == +inf and -0 != +0 are judged as bits), first mismatch reported.
void check_bits(const std::vector<float>& cpu, const std::vector<float>& gpu, const std::string& what) {
  REQUIRE_MESSAGE(cpu.size() == gpu.size(), what << ": sizes differ");
  for (size_t i = 0; i < cpu.size(); ++i)
    if (std::memcmp(&cpu[i], &gpu[i], sizeof(float)) != 0) {
      FAIL_CHECK(what << ": element " << i << " cpu " << cpu[i] << " gpu " << gpu[i]);
      return;
    }
}

// A batch of n images: circles of random centres and radii over a sprinkle of noise, plus the
// corner cases in the first images: all ones (no zero pixel), all zeros, one zero pixel.
std::vector<uint8_t> test_masks(int64_t n, int64_t h, int64_t w, uint64_t seed) {
  const auto u = test::random_values(n * h * w, 0, 1, seed);
  const auto c = test::random_values(n * 3, 0, 1, seed + 1);
  std::vector<uint8_t> m(static_cast<size_t>(n * h * w));
  for (int64_t b = 0; b < n; ++b) {
    const double cy = c[size_t(3 * b)] * double(h), cx = c[size_t(3 * b + 1)] * double(w);
    const double r = 1 + c[size_t(3 * b + 2)] * 0.4 * double(std::min(h, w));
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        const size_t i = size_t((b * h + y) * w + x);
        const bool in = (double(y) - cy) * (double(y) - cy) + (double(x) - cx) * (double(x) - cx) <= r * r;
        m[i] = (in != (u[i] < 0.02f)) ? 1 : 0;
        if (b == 0) m[i] = 1;
        if (b == 1) m[i] = 0;
        if (b == 2) m[i] = (y == h / 2 && x == w - 1) ? 0 : 1;
      }
  }
  return m;
}

}  // namespace

TEST_CASE("EDT kernels: CUDA equals the CPU twin bit for bit (distance and signed, uint8 and float, spacings)") {
  struct Case {
    int64_t n, h, w;
  };
  for (const Case& c : {Case{16, 256, 256}, Case{4, 37, 1100}, Case{3, 1030, 9}, Case{3, 1, 1}, Case{5, 2100, 40}}) {
    const auto m = test_masks(c.n, c.h, c.w, uint64_t(c.h * 7 + c.w));
    const std::vector<float> mf(m.begin(), m.end());
    const int64_t total = c.n * c.h * c.w;
    const Tensor du8 = Tensor::from_data(m.data(), {total}, Device::cuda());
    const Tensor df32 = Tensor::from_vector(mf, {total}, Device::cuda());
    // The workspace between guards too: the column pass writes one code per pixel and the row
    // pass a stack per row, both sized by edt_workspace_bytes.
    test::GuardedBuffer ws(int64_t(kernels::edt_workspace_bytes(c.n, c.h, c.w) / 4) + 1);
    for (const auto& [sy, sx] : {std::pair{1.0f, 1.0f}, std::pair{2.5f, 0.7f}, std::pair{0.3f, 1.9f}}) {
      for (const auto mode : {kernels::EdtOutput::Distance, kernels::EdtOutput::Signed}) {
        INFO(c.n << "x" << c.h << "x" << c.w << " spacing (" << sy << ", " << sx << ") mode " << int(mode));
        std::vector<float> cpu(static_cast<size_t>(total));
        kernels::edt_cpu(mf.data(), cpu.data(), c.n, c.h, c.w, sy, sx, mode);
        test::GuardedBuffer out(total);
        kernels::edt_cuda(df32.data<float>(), out.data(), c.n, c.h, c.w, sy, sx, mode, ws.raw(), cuda::stream());
        cuda::check_launch("edt_cuda(float)");
        check_bits(cpu, out.download(), "float input");
        if (mode == kernels::EdtOutput::Distance) {
          test::GuardedBuffer out8(total);
          kernels::edt_cuda(du8.data<uint8_t>(), out8.data(), c.n, c.h, c.w, sy, sx, mode, ws.raw(), cuda::stream());
          cuda::check_launch("edt_cuda(uint8)");
          check_bits(cpu, out8.download(), "uint8 input");
        }
        ws.check_guards();
      }
    }
  }
}

TEST_CASE("edt and signed_distance_map ops: CUDA tensors stay on the device and equal the CPU results") {
  const auto m = test_masks(6, 45, 70, 11);
  const Tensor host = Tensor::from_data(m.data(), {6, 1, 45, 70});
  const Tensor dev = host.cuda();
  const Tensor d = edt(dev, 1.5f, 0.5f);
  CHECK(d.is_cuda());
  CHECK(d.shape() == host.shape());
  check_bits(edt(host, 1.5f, 0.5f).to_vector(), d.to_vector(), "edt op");
  const Tensor phi = signed_distance_map(dev.to_dtype(DType::F32));
  CHECK(phi.is_cuda());
  check_bits(signed_distance_map(host).to_vector(), phi.to_vector(), "signed map op");
  // And against the SciPy golden file.
  const Tensor g = read_npy(test::fixture("metrics/sdm_mask.npy"));
  check_bits(read_npy(test::fixture("metrics/sdm_unit.npy")).to_vector(), signed_distance_map(g.cuda()).to_vector(),
             "signed map vs SciPy");
}

TEST_CASE("metrics: CUDA equals the CPU exactly (fixtures, pooled HD95, spacing, a larger batch)") {
  const Tensor pred = read_npy(test::fixture("metrics/metrics_pred.npy"));
  const Tensor target = read_npy(test::fixture("metrics/metrics_target.npy"));
  const auto big_t = test_masks(16, 256, 256, 5), big_p = test_masks(16, 256, 256, 6);
  const Tensor bt = Tensor::from_data(big_t.data(), {16, 1, 256, 256});
  const Tensor bp = Tensor::from_vector(std::vector<float>(big_p.begin(), big_p.end()), {16, 1, 256, 256});
  MetricOptions pooled, spaced;
  pooled.hd95 = Hd95::Pooled;
  spaced.spacing_y = 1.5f;
  spaced.spacing_x = 0.8f;
  struct Case {
    Tensor p, t;
    MetricOptions o;
    const char* what;
  };
  for (const Case& c : {Case{pred, target, {}, "fixture"}, Case{pred, target, pooled, "pooled"},
                        Case{pred, target, spaced, "spacing"}, Case{bp, bt, {}, "16x256x256"}}) {
    INFO(c.what);
    const MetricsReport cpu = compute_metrics(c.p, c.t, c.o), gpu = compute_metrics(c.p.cuda(), c.t.cuda(), c.o);
    REQUIRE(cpu.images.size() == gpu.images.size());
    for (size_t n = 0; n < cpu.images.size(); ++n) {
      CHECK(cpu.images[n].tp == gpu.images[n].tp);
      CHECK(cpu.images[n].fp == gpu.images[n].fp);
      CHECK(cpu.images[n].fn == gpu.images[n].fn);
      CHECK(cpu.images[n].tn == gpu.images[n].tn);
      CHECK(cpu.images[n].hd_one_empty == gpu.images[n].hd_one_empty);
      for (int k = 0; k < kNumMetrics; ++k) {
        const double a = cpu.images[n].value[size_t(k)], b = gpu.images[n].value[size_t(k)];
        INFO("image " << n << " " << metric_name(Metric(k)) << " cpu " << a << " gpu " << b);
        CHECK(((std::isnan(a) && std::isnan(b)) || a == b));
      }
    }
    for (int k = 0; k < kNumMetrics; ++k) CHECK(cpu.mean[size_t(k)].left_out == gpu.mean[size_t(k)].left_out);
  }
}

TEST_CASE("metric kernels: binarize, boundaries and bands, counts: CUDA equals the CPU twin") {
  const int64_t n = 5, h = 70, w = 1050, total = n * h * w;  // one axis over 1024; d = 21
  const auto probs = test::random_values(total, 0, 1, 21);
  const auto t = test_masks(n, h, w, 22);
  const int64_t d = 21;
  test::GuardedBuffer dprobs(probs);
  // Every output between guard regions (tests/gpu/gpu_util.h).
  using U8 = test::Guarded<uint8_t>;
  // Binarize.
  std::vector<uint8_t> p(static_cast<size_t>(total));
  kernels::metrics_binarize_cpu(probs.data(), p.data(), total, 0.5f);
  U8 dp(total);
  kernels::metrics_binarize_cuda(dprobs.data(), dp.data(), total, 0.5f, cuda::stream());
  cuda::check_launch("metrics_binarize");
  CHECK(dp.download() == p);
  // Boundaries and bands of both masks.
  U8 dt(t);
  std::vector<uint8_t> ne_p(p.size()), band_p(p.size()), ne_t(p.size()), band_t(p.size()), rows(p.size());
  kernels::metrics_masks_cpu(p.data(), ne_p.data(), band_p.data(), rows.data(), n, h, w, d);
  kernels::metrics_masks_cpu(t.data(), ne_t.data(), band_t.data(), rows.data(), n, h, w, d);
  U8 dne_p(total), dband_p(total), dne_t(total), dband_t(total), drows(total);
  kernels::metrics_masks_cuda(dp.data(), dne_p.data(), dband_p.data(), drows.data(), n, h, w, d, cuda::stream());
  kernels::metrics_masks_cuda(dt.data(), dne_t.data(), dband_t.data(), drows.data(), n, h, w, d, cuda::stream());
  cuda::check_launch("metrics_masks");
  CHECK(dne_p.download() == ne_p);
  CHECK(dband_p.download() == band_p);
  CHECK(dne_t.download() == ne_t);
  CHECK(dband_t.download() == band_t);
  drows.check_guards();
  // Counts.
  std::vector<int64_t> counts(static_cast<size_t>(n * kernels::kNumCounts));
  kernels::metrics_counts_cpu(p.data(), t.data(), ne_p.data(), ne_t.data(), band_p.data(), band_t.data(), counts.data(),
                              n, h * w);
  test::Guarded<int64_t> dcounts(n * kernels::kNumCounts);
  cuda::check_launch("metrics_counts",
                     kernels::metrics_counts_cuda(dp.data(), dt.data(), dne_p.data(), dne_t.data(), dband_p.data(),
                                                  dband_t.data(), dcounts.data(), n, h * w, cuda::stream()));
  CHECK(dcounts.download() == counts);
}
