// The data loader on a GPU: batches staged in pinned memory and copied asynchronously on the
// device's stream must equal, bit for bit, the batches the CPU path serves (a copy is exact),
// also when buffers are reused many times while copies may still be in flight.
#include <doctest/doctest.h>

#include "core/cuda_context.h"
#include "core/pinned.h"
#include "data/loader.h"
#include "data/pipeline.h"

using namespace fbd;
using namespace fbd::data;

namespace {

std::shared_ptr<MemorySource> source(int n) {
  std::vector<Sample> v;
  for (int i = 0; i < n; ++i) {
    Sample s;
    s.id = fbd::detail::concat("g", i);
    s.image = Image(64, 48);
    s.mask = Image(64, 48);
    s.edge = Image(64, 48);
    for (int64_t y = 10; y < 20 + i % 7; ++y)
      for (int64_t x = 8; x < 30; ++x) s.image.at(y, x) = s.mask.at(y, x) = 1.0f;
    s.edge.at(10, 8) = 1.0f;
    v.push_back(std::move(s));
  }
  return std::make_shared<MemorySource>(std::move(v));
}

}  // namespace

TEST_CASE("pinned buffer: pinned where a GPU is usable, asynchronous copy lands exactly") {
  PinnedBuffer buf(1 << 20);
  CHECK(buf.pinned());
  float* f = static_cast<float*>(buf.data());
  for (int i = 0; i < (1 << 18); ++i) f[i] = float(i);
  Tensor d = Tensor::empty({1 << 18}, DType::F32, Device::cuda());
  buf.copy_to(d, 0);
  buf.wait();
  const std::vector<float> back = d.to_vector<float>();
  for (int i = 0; i < (1 << 18); i += 997) REQUIRE(back[size_t(i)] == float(i));
}

TEST_CASE("loader on cuda:0 serves the CPU loader's batches (exact)") {
  LoaderOptions o;
  o.batch_size = 5;
  o.workers = 3;
  o.prefetch = 2;  // few buffers: each is reused many times while copies are in flight
  o.seed = 4;
  DataLoader cpu(source(37), AugmentPipeline::default_pipeline(), o);
  o.device = Device::cuda();
  DataLoader gpu(source(37), AugmentPipeline::default_pipeline(), o);
  for (int e = 0; e < 3; ++e) {
    cpu.start_epoch(e);
    gpu.start_epoch(e);
    Batch a, b;
    int n = 0;
    while (cpu.next(a)) {
      REQUIRE(gpu.next(b));
      CHECK(b.image.is_cuda());
      CHECK(b.indices == a.indices);
      CHECK(b.image.to_vector<float>() == a.image.to_vector<float>());
      CHECK(b.mask.to_vector<float>() == a.mask.to_vector<float>());
      CHECK(b.edge.to_vector<float>() == a.edge.to_vector<float>());
      ++n;
    }
    CHECK_FALSE(gpu.next(b));
    CHECK(n == 8);
  }
}
