// CPU cases of the exact EDT, the signed distance map and the metrics on the paper's loss-map
// batch (16 x 1 x 256 x 256 ellipse masks, bench/edt_metrics.h), and the 3-D EDT of one
// 160 x 256 x 256 volume with spacing (2, 0.7, 0.7). bench/compare_scipy_edt.py runs SciPy (and
// NumPy) on the same masks in the same run.
// Bytes reported: the compulsory traffic (EDT: 1 byte in, 4 out per pixel; signed map: 4 in,
// 4 out; metrics: 4 + 1 in per pixel for pred and target), so GB/s reads as "how close to a
// copy"; the transforms are arithmetic- and latency-bound, not bandwidth-bound.
#include "bench/edt_metrics.h"

#include "bench/bench_common.h"
#include "core/tensor.h"
#include "kernels/edt3d_kernels.h"
#include "kernels/edt_kernels.h"
#include "losses/metrics.h"

namespace fbd::bench {
namespace {

constexpr int64_t kPixels = kEdtBatch * kEdtSide * kEdtSide;

void BM_cpu_edt(benchmark::State& state) {
  const auto m = ellipse_masks();
  std::vector<float> out(m.size());
  run_cpu(state, 5.0 * double(kPixels), [&] {
    kernels::edt_cpu(m.data(), out.data(), kEdtBatch, kEdtSide, kEdtSide, 1.0f, 1.0f);
    benchmark::DoNotOptimize(out.data());
  });
}

void BM_cpu_signed_distance(benchmark::State& state) {
  const auto m = as_float(ellipse_masks());
  std::vector<float> out(m.size());
  run_cpu(state, 8.0 * double(kPixels), [&] {
    kernels::edt_cpu(m.data(), out.data(), kEdtBatch, kEdtSide, kEdtSide, 1.0f, 1.0f, kernels::EdtOutput::Signed);
    benchmark::DoNotOptimize(out.data());
  });
}

// The 3-D EDT of one 160 x 256 x 256 volume with spacing (2, 0.7, 0.7): 1 byte in, 4 out per voxel.
// Its 12-byte-per-voxel scratch is allocated outside the loop, as the CUDA case's workspace is
// (fbd's own callers take it from the host cache).
void BM_cpu_edt3d(benchmark::State& state) {
  const auto m = ellipsoid_volume();
  std::vector<float> out(m.size());
  std::vector<double> ws(kernels::edt3d_cpu_workspace_bytes(1, kVolDepth, kVolSide, kVolSide) / sizeof(double));
  run_cpu(state, 5.0 * double(m.size()), [&] {
    kernels::edt3d_cpu(m.data(), out.data(), 1, kVolDepth, kVolSide, kVolSide, kVolSpacingZ, kVolSpacingY, kVolSpacingX,
                       kernels::EdtOutput::Distance, ws.data());
    benchmark::DoNotOptimize(out.data());
  });
}

void BM_cpu_metrics(benchmark::State& state) {
  const auto g = ellipse_masks(), p = ellipse_masks(3, -4, 2);
  const Tensor gt = Tensor::from_data(g.data(), {kEdtBatch, 1, kEdtSide, kEdtSide});
  const Tensor pred = Tensor::from_vector(as_float(p), {kEdtBatch, 1, kEdtSide, kEdtSide});
  run_cpu(state, 5.0 * double(kPixels), [&] {
    const MetricsReport r = compute_metrics(pred, gt);
    benchmark::DoNotOptimize(r.images.data());
  });
}

void register_edt_metrics_cpu() {
  benchmark::RegisterBenchmark("cpu/edt", BM_cpu_edt)->Arg(kPixels)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("cpu/signed_distance", BM_cpu_signed_distance)
      ->Arg(kPixels)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("cpu/edt3d", BM_cpu_edt3d)
      ->Arg(kVolDepth * kVolSide * kVolSide)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("cpu/metrics", BM_cpu_metrics)->Arg(kPixels)->Unit(benchmark::kMillisecond);
}

const BenchRegistrar registrar(false, register_edt_metrics_cpu);
}  // namespace
}  // namespace fbd::bench
