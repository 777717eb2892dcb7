// CPU cases of the loss ops: forward and backward through autograd, as a training step runs
// them (bench/loss_cases.h), at the paper's loss-map batch. PyTorch twins:
// bench/compare_torch_losses.py.
#include "bench/bench_common.h"
#include "bench/loss_cases.h"

namespace fbd::bench {
namespace {

const LossBenchData& cpu_inputs() {
  static const LossBenchData in = make_loss_inputs(Device::cpu());
  return in;
}

void BM_cpu_loss(benchmark::State& state, const LossCase& c) {
  const LossBenchData& in = cpu_inputs();
  Tensor x = loss_leaf(in, c.leaf);
  run_cpu(state, c.bytes, [&] {
    x.zero_grad();
    c.loss(in, x).backward();
    benchmark::DoNotOptimize(x.grad().raw_data());
  });
}

void register_losses_cpu() {
  for (const LossCase& c : loss_cases())
    benchmark::RegisterBenchmark(("cpu/" + c.name).c_str(), BM_cpu_loss, c)->Arg(kLossN * kLossH * kLossW);
}

const BenchRegistrar registrar(false, register_losses_cpu);
}  // namespace
}  // namespace fbd::bench
