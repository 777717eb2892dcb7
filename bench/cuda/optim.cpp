// CUDA cases of the optimizers: one fused Adam / SGD-with-momentum step (a single kernel
// launch, plus the upload of the slot table) over the 7.8 M parameters of optim_shapes.h,
// reporting bytes moved per second against the device copy bandwidth.
#include <benchmark/benchmark.h>

#include "bench/bench_common.h"
#include "bench/cuda/gpu_timer.h"
#include "bench/optim_shapes.h"
#include "core/cuda_context.h"
#include "core/rng.h"
#include "optim/adam.h"
#include "optim/sgd.h"

namespace fbd::bench {
namespace {

template <typename Opt>
void run_step(benchmark::State& state, Opt& opt, double bytes) {
  GpuTimer timer;
  opt.step();
  cuda::synchronize();
  double seconds = 0;
  for (auto _ : state) {
    const double t = timer.seconds([&] { opt.step(); });
    state.SetIterationTime(t);
    seconds += t;
  }
  report_bytes(state, bytes, measured_bandwidth().device_copy, seconds);
}

void BM_cuda_adam_step(benchmark::State& state) {
  const NamedTensors params = paper_params_with_grads(Device::cuda());
  optim::Adam adam(params, optim::AdamOptions{});
  run_step(state, adam, 28.0 * double(total_numel(params)));
}

void BM_cuda_sgd_step(benchmark::State& state) {
  const NamedTensors params = paper_params_with_grads(Device::cuda());
  optim::SgdOptions o;
  o.momentum = 0.9;
  optim::SGD sgd(params, o);
  run_step(state, sgd, 20.0 * double(total_numel(params)));
}

void register_optim_cuda() {
  benchmark::RegisterBenchmark("cuda/adam_step", BM_cuda_adam_step)->Arg(32)->UseManualTime()->MinTime(0.2);
  benchmark::RegisterBenchmark("cuda/sgd_step", BM_cuda_sgd_step)->Arg(32)->UseManualTime()->MinTime(0.2);
}

const BenchRegistrar registrar(true, register_optim_cuda);

}  // namespace
}  // namespace fbd::bench
