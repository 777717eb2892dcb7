// CPU cases of the app networks' training step (bench/app_train_step.h): batch 8 of 64 px
// quadrants at width 16, the fbd demo's CPU configuration, for fbdnet and the Table 3
// baselines; the Table 4 classifiers at `fbd classify`'s CPU defaults (batch 16 of 64 px crops,
// width multiplier 0.25).
#include "bench/app_train_step.h"

namespace fbd::bench {
namespace {
void register_app_cpu() {
  for (const char* net : kStepNets)
    benchmark::RegisterBenchmark((std::string("cpu/") + net + "_step").c_str(), net_step, Device::cpu(),
                                 std::string(net))
        ->Args({8, 64, 16})
        ->UseRealTime();
  for (const char* name : kStepClassifiers)
    benchmark::RegisterBenchmark((std::string("cpu/") + name + "_cls_step").c_str(), classifier_step, Device::cpu(),
                                 std::string(name))
        ->Args({16, 64, 250})
        ->UseRealTime();
}
const BenchRegistrar registrar(false, register_app_cpu);
}  // namespace
}  // namespace fbd::bench
