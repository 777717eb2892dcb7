// CPU cases of the optimizers: one Adam / SGD-with-momentum step over the parameter shapes
// of a paper-sized network (a U-Net of width 32 to 512: 7.8 M parameters in 46 tensors, see
// optim_shapes), reporting bytes moved per second (28 bytes per parameter for Adam, 20 for
// SGD with momentum).
#include <benchmark/benchmark.h>

#include "bench/bench_common.h"
#include "bench/optim_shapes.h"
#include "core/rng.h"
#include "optim/adam.h"
#include "optim/sgd.h"

namespace fbd::bench {
namespace {

void BM_cpu_adam_step(benchmark::State& state) {
  const NamedTensors params = paper_params_with_grads(Device::cpu());
  optim::Adam adam(params, optim::AdamOptions{});
  run_cpu(state, 28.0 * double(total_numel(params)), [&] { adam.step(); });
  state.counters["params"] = double(total_numel(params));
}

void BM_cpu_sgd_step(benchmark::State& state) {
  const NamedTensors params = paper_params_with_grads(Device::cpu());
  optim::SgdOptions o;
  o.momentum = 0.9;
  optim::SGD sgd(params, o);
  run_cpu(state, 20.0 * double(total_numel(params)), [&] { sgd.step(); });
  state.counters["params"] = double(total_numel(params));
}

void register_optim_cpu() {
  benchmark::RegisterBenchmark("cpu/adam_step", BM_cpu_adam_step)->Arg(32);
  benchmark::RegisterBenchmark("cpu/sgd_step", BM_cpu_sgd_step)->Arg(32);
}

const BenchRegistrar registrar(false, register_optim_cpu);

}  // namespace
}  // namespace fbd::bench
