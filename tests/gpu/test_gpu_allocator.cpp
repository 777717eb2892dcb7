// The caching allocator on a real device: reuse across iterations and peak accounting.
#include <doctest/doctest.h>

#include "core/cuda_context.h"
#include "core/ops.h"

using namespace fbd;

TEST_CASE("a training-like loop stops calling cudaMalloc after its first iteration") {
  CachingAllocator& alloc = cuda::allocator();
  auto step = [] {
    Tensor x = Tensor::ones({16, 32, 64, 64}, Device::cuda());
    x.requires_grad_();
    sum(sigmoid(x * 2.0f)).backward();
  };
  step();
  cuda::synchronize();
  const MemoryStats after_first = alloc.stats();
  for (int i = 0; i < 5; ++i) step();
  cuda::synchronize();
  const MemoryStats after_more = alloc.stats();
  CHECK(after_more.backend_allocs == after_first.backend_allocs);
  CHECK(after_more.cache_hits > after_first.cache_hits);
  CHECK(after_more.current == after_first.current);
}

TEST_CASE("peak and current count live device bytes") {
  CachingAllocator& alloc = cuda::allocator();
  const size_t base = alloc.stats().current;
  alloc.reset_peak();
  {
    Tensor a = Tensor::empty({1 << 20}, DType::F32, Device::cuda());  // 4 MiB
    CHECK(alloc.stats().current == base + (4u << 20));
  }
  CHECK(alloc.stats().current == base);
  CHECK(alloc.stats().peak >= base + (4u << 20));
  CHECK(alloc.stats().reserved >= alloc.stats().current);
}
