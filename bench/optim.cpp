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

NamedTensors make_params(Device d) {
  NamedTensors params;
  Generator gen(1);
  int i = 0;
  for (const Shape& s : paper_param_shapes()) {
    Tensor p = randn(s, d, gen);
    p.requires_grad_();
    p.impl_ptr()->grad = randn(s, d, gen).impl_shared();
    params.emplace_back(std::to_string(i++), p);
  }
  return params;
}

int64_t total(const NamedTensors& ps) {
  int64_t n = 0;
  for (const auto& [name, p] : ps) n += p.numel();
  return n;
}

void BM_cpu_adam_step(benchmark::State& state) {
  const NamedTensors params = make_params(Device::cpu());
  optim::Adam adam(params, optim::AdamOptions{});
  run_cpu(state, 28.0 * double(total(params)), [&] { adam.step(); });
  state.counters["params"] = double(total(params));
}

void BM_cpu_sgd_step(benchmark::State& state) {
  const NamedTensors params = make_params(Device::cpu());
  optim::SgdOptions o;
  o.momentum = 0.9;
  optim::SGD sgd(params, o);
  run_cpu(state, 20.0 * double(total(params)), [&] { sgd.step(); });
  state.counters["params"] = double(total(params));
}

void register_optim_cpu() {
  benchmark::RegisterBenchmark("cpu/adam_step", BM_cpu_adam_step)->Arg(32);
  benchmark::RegisterBenchmark("cpu/sgd_step", BM_cpu_sgd_step)->Arg(32);
}

const BenchRegistrar registrar(false, register_optim_cpu);

}  // namespace
}  // namespace fbd::bench
