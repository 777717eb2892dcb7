// CPU case of the paper network's training step (bench/app_train_step.h): batch 8 of 64 px
// quadrants at width 16, the fbd demo's CPU configuration.
#include "bench/app_train_step.h"

namespace fbd::bench {
namespace {
void register_app_cpu() {
  benchmark::RegisterBenchmark("cpu/fbdnet_step", fbdnet_step, Device::cpu())->Args({8, 64, 16})->UseRealTime();
}
const BenchRegistrar registrar(false, register_app_cpu);
}  // namespace
}  // namespace fbd::bench
