// CUDA cases of the exact EDT, the signed distance map and the metrics on the same
// 16 x 1 x 256 x 256 masks (and the 3-D EDT on the same volume) as bench/edt_metrics.cpp, timed
// with CUDA events after an L2 flush
// (gpu_timer.h). bench/compare_scipy_edt.py puts them beside SciPy and CuPy (one image per call).
// The EDT cases time the two kernels alone (workspace allocated outside the loop); the metrics
// case times the whole op, host-side input checks and the copy of the results included.
#include "bench/edt_metrics.h"

#include <functional>

#include "bench/bench_common.h"
#include "bench/cuda/gpu_timer.h"
#include "core/cuda_context.h"
#include "core/tensor.h"
#include "kernels/edt3d_kernels.h"
#include "kernels/edt_kernels.h"
#include "losses/metrics.h"

namespace fbd::bench {
namespace {

constexpr int64_t kPixels = kEdtBatch * kEdtSide * kEdtSide;

void BM_cuda_edt(benchmark::State& state, kernels::EdtOutput mode) {
  const auto m = ellipse_masks();
  const Shape shape{kEdtBatch, kEdtSide, kEdtSide};
  const Tensor in_u8 = Tensor::from_data(m.data(), shape, Device::cuda());
  const Tensor in_f32 = Tensor::from_vector(as_float(m), shape, Device::cuda());
  Tensor out = Tensor::empty(shape, DType::F32, Device::cuda());
  const Tensor ws = Tensor::empty({int64_t(kernels::edt_workspace_bytes(kEdtBatch, kEdtSide, kEdtSide) / 4) + 1},
                                  DType::F32, Device::cuda());
  const bool signed_map = mode == kernels::EdtOutput::Signed;
  run_timed(state, (signed_map ? 8.0 : 5.0) * double(kPixels), [&](kernels::Stream s) {
    if (signed_map)
      kernels::edt_cuda(in_f32.data<float>(), out.data<float>(), kEdtBatch, kEdtSide, kEdtSide, 1.0f, 1.0f, mode,
                        ws.raw_data(), s);
    else
      kernels::edt_cuda(in_u8.data<uint8_t>(), out.data<float>(), kEdtBatch, kEdtSide, kEdtSide, 1.0f, 1.0f, mode,
                        ws.raw_data(), s);
  });
}

// The 3-D EDT of bench/edt_metrics.cpp's 160 x 256 x 256 volume, spacing (2, 0.7, 0.7): the
// three passes alone, workspace allocated outside the loop.
void BM_cuda_edt3d(benchmark::State& state) {
  const auto m = ellipsoid_volume();
  const Shape shape{kVolDepth, kVolSide, kVolSide};
  const Tensor in = Tensor::from_data(m.data(), shape, Device::cuda());
  Tensor out = Tensor::empty(shape, DType::F32, Device::cuda());
  const Tensor ws = Tensor::empty({int64_t(kernels::edt3d_workspace_bytes(1, kVolDepth, kVolSide, kVolSide) / 4) + 1},
                                  DType::F32, Device::cuda());
  run_timed(state, 5.0 * double(m.size()), [&](kernels::Stream s) {
    kernels::edt3d_cuda(in.data<uint8_t>(), out.data<float>(), 1, kVolDepth, kVolSide, kVolSide, kVolSpacingZ,
                        kVolSpacingY, kVolSpacingX, kernels::EdtOutput::Distance, ws.raw_data(), s);
  });
}

void BM_cuda_metrics(benchmark::State& state) {
  const auto g = ellipse_masks(), p = ellipse_masks(3, -4, 2);
  const Tensor gt = Tensor::from_data(g.data(), {kEdtBatch, 1, kEdtSide, kEdtSide}, Device::cuda());
  const Tensor pred = Tensor::from_vector(as_float(p), {kEdtBatch, 1, kEdtSide, kEdtSide}, Device::cuda());
  run_timed(state, 5.0 * double(kPixels), [&](kernels::Stream) {
    const MetricsReport r = compute_metrics(pred, gt);
    benchmark::DoNotOptimize(r.images.data());
  });
}

void register_edt_metrics_cuda() {
  benchmark::RegisterBenchmark("cuda/edt", BM_cuda_edt, kernels::EdtOutput::Distance)
      ->Arg(kPixels)
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("cuda/signed_distance", BM_cuda_edt, kernels::EdtOutput::Signed)
      ->Arg(kPixels)
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("cuda/edt3d", BM_cuda_edt3d)
      ->Arg(kVolDepth * kVolSide * kVolSide)
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("cuda/metrics", BM_cuda_metrics)
      ->Arg(kPixels)
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
}

const BenchRegistrar registrar(true, register_edt_metrics_cuda);
}  // namespace
}  // namespace fbd::bench
