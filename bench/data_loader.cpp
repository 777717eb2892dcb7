// Data pipeline throughput: the loader with the full augmentation pipeline at 256 x 256 (the
// number that must keep up with GPU training, docs/DATA.md), each augmentation alone, and the
// phantom's synthesis. Items are images: items_per_second is images per second.
#include <memory>

#include "bench/bench_common.h"
#include "data/augment.h"
#include "data/loader.h"
#include "data/phantom.h"
#include "data/pipeline.h"
#include "data/random.h"

namespace fbd::bench {
namespace {

constexpr int kSize = 256, kImages = 64, kBatch = 16;

// 64 phantom slices of 256 x 256 with masks and edges, made once.
std::shared_ptr<data::MemorySource> phantom_source() {
  static std::shared_ptr<data::MemorySource> src = [] {
    data::PhantomOptions o;
    o.patients = kImages / 8;
    o.slices = 8;
    o.size = kSize;
    std::vector<data::Sample> v;
    for (data::PhantomSlice& s : data::synth_phantom(o)) {
      data::Sample x;
      x.id = s.id;
      x.image = std::move(s.image);
      x.edge = data::Image(kSize, kSize);
      x.mask = std::move(s.mask);
      v.push_back(std::move(x));
    }
    return std::make_shared<data::MemorySource>(std::move(v));
  }();
  return src;
}

// Every transform of the default pipeline, each always applied: the worst case per image.
const data::AugmentPipeline& full_pipeline() {
  static const data::AugmentPipeline p = data::AugmentPipeline::from_json_text(R"({"steps": [
    {"op": "normalize", "mode": "minmax"}, {"op": "hflip"}, {"op": "vflip"}, {"op": "rotate", "max_degrees": 15},
    {"op": "elastic", "alpha": 34, "sigma": 4}, {"op": "gaussian_blur", "min_kernel": 3, "max_kernel": 7},
    {"op": "clahe", "clip_limit": 2.0, "tiles": 8}, {"op": "brightness_contrast"}, {"op": "gamma"},
    {"op": "normalize", "mode": "zscore"}]})",
                                                                               "bench");
  return p;
}

// One epoch (64 images, 4 batches of 16) per iteration.
void BM_loader(benchmark::State& state, bool full) {
  data::LoaderOptions o;
  o.batch_size = kBatch;
  o.workers = int(state.range(0));
  o.prefetch = 4;
  data::DataLoader dl(phantom_source(), full ? full_pipeline() : data::AugmentPipeline::default_pipeline(), o);
  int64_t epoch = 0;
  for (auto _ : state) {
    dl.start_epoch(epoch++);
    data::Batch b;
    while (dl.next(b)) benchmark::DoNotOptimize(b.image.raw_data());
  }
  state.SetItemsProcessed(state.iterations() * kImages);
}

void BM_augment(benchmark::State& state, const char* op_json) {
  data::AugmentPipeline p;
  p.add_step_json(op_json, "bench");
  const data::Sample base = phantom_source()->get(3);
  uint64_t key = 0;
  for (auto _ : state) {
    data::Sample s = base;
    p.apply_step(0, s, key++);
    benchmark::DoNotOptimize(s.image.px.data());
  }
  state.SetItemsProcessed(state.iterations());
}

// Synthesis of `patients` x 8 slices of size x size (threads: all cores).
void BM_phantom(benchmark::State& state) {
  data::PhantomOptions o;
  o.patients = 12;
  o.slices = 8;
  o.size = int(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(data::synth_phantom(o).data());
  state.SetItemsProcessed(state.iterations() * o.patients * o.slices);
}

void register_data() {
  for (int w : {1, 2}) {
    benchmark::RegisterBenchmark("cpu/loader_full_pipeline/256", BM_loader, true)
        ->Arg(w)
        ->ArgName("workers")
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
  benchmark::RegisterBenchmark("cpu/loader_default_pipeline/256", BM_loader, false)
      ->Arg(2)
      ->ArgName("workers")
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  const std::pair<const char*, const char*> ops[] = {
      {"cpu/augment/hflip/256", R"({"op": "hflip"})"},
      {"cpu/augment/rotate/256", R"({"op": "rotate", "max_degrees": 15})"},
      {"cpu/augment/elastic/256", R"({"op": "elastic", "alpha": 34, "sigma": 4})"},
      {"cpu/augment/gaussian_blur/256", R"({"op": "gaussian_blur", "min_kernel": 3, "max_kernel": 7})"},
      {"cpu/augment/clahe/256", R"({"op": "clahe", "clip_limit": 2.0, "tiles": 8})"},
      {"cpu/augment/brightness_contrast/256", R"({"op": "brightness_contrast"})"},
      {"cpu/augment/gamma/256", R"({"op": "gamma"})"},
      {"cpu/augment/normalize_zscore/256", R"({"op": "normalize", "mode": "zscore"})"},
  };
  for (const auto& [name, json] : ops)
    benchmark::RegisterBenchmark(name, BM_augment, json)->Unit(benchmark::kMicrosecond);
  for (int size : {128, 256})
    benchmark::RegisterBenchmark("cpu/phantom_12x8", BM_phantom)
        ->Arg(size)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
}

const BenchRegistrar registrar(false, register_data);
}  // namespace

}  // namespace fbd::bench
