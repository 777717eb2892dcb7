// CUDA cases of the app networks' training step (bench/app_train_step.h): batch 16 at
// 256 x 256, width 32 (the paper's input size; the demo's GPU configuration trains 128 px
// quadrants), for fbdnet and the Table 3 baselines; the Table 4 classifiers at `fbd classify`'s
// GPU defaults (each network's paper input, 224 px or Inception-v3's 299, width multiplier 1),
// batch 32.
#include "bench/app_train_step.h"

namespace fbd::bench {
namespace {
void register_app_cuda() {
  for (const char* net : kStepNets)
    benchmark::RegisterBenchmark((std::string("cuda/") + net + "_step").c_str(), net_step, Device::cuda(),
                                 std::string(net))
        ->Args({16, 256, 32})
        ->UseManualTime()
        ->MinTime(2.0);
  for (const char* name : kStepClassifiers)
    benchmark::RegisterBenchmark((std::string("cuda/") + name + "_cls_step").c_str(), classifier_step,
                                 Device::cuda(), std::string(name))
        ->Args({32, app::find_classifier(name).gpu_input, 1000})
        ->UseManualTime()
        ->MinTime(2.0);
}
const BenchRegistrar registrar(true, register_app_cuda);
}  // namespace
}  // namespace fbd::bench
