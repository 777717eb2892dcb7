// CUDA case of the paper network's training step (bench/app_train_step.h): batch 16 at
// 256 x 256, width 32 (the paper's input size; the demo's GPU configuration trains 128 px quadrants).
#include "bench/app_train_step.h"

namespace fbd::bench {
namespace {
void register_app_cuda() {
  benchmark::RegisterBenchmark("cuda/fbdnet_step", fbdnet_step, Device::cuda())
      ->Args({16, 256, 32})
      ->UseManualTime()
      ->MinTime(2.0);
}
const BenchRegistrar registrar(true, register_app_cuda);
}  // namespace
}  // namespace fbd::bench
