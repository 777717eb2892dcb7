// The caching allocator on a real device: reuse across iterations and peak accounting.
// Each case starts from an empty cache and first leaves blocks of awkward sizes in it, as the
// cases that ran before it would, so its result does not depend on the order cases run in.
#include <doctest/doctest.h>

#include "core/cuda_context.h"
#include "core/ops.h"

using namespace fbd;

namespace {

// Frees into the cache blocks slightly larger than the sizes the cases below ask for (the
// allocator hands out a cached block up to 1/8 larger than the request), then empties it.
void start_from_a_used_then_emptied_cache(CachingAllocator& alloc) {
  {
    Tensor a = Tensor::empty({(1 << 20) + (1 << 16)}, DType::F32, Device::cuda());  // 4.25 MiB
    Tensor b = Tensor::empty({16 * 32 * 64 * 64 + 4096}, DType::F32, Device::cuda());
  }
  cuda::synchronize();
  CHECK(alloc.stats().reserved > alloc.stats().current);  // they are cached now
  alloc.empty_cache();
  CHECK(alloc.stats().reserved == alloc.stats().current);
}

}  // namespace

TEST_CASE("a training-like loop stops calling cudaMalloc after its first iteration") {
  CachingAllocator& alloc = cuda::allocator();
  start_from_a_used_then_emptied_cache(alloc);
  auto step = [] {
    Tensor x = Tensor::ones({16, 32, 64, 64}, Device::cuda());
    x.requires_grad_();
    sum(sigmoid(x * 2.0f)).backward();
  };
  const MemoryStats before = alloc.stats();
  step();
  cuda::synchronize();
  const MemoryStats after_first = alloc.stats();
  CHECK(after_first.backend_allocs > before.backend_allocs);  // the first iteration had to allocate
  for (int i = 0; i < 5; ++i) step();
  cuda::synchronize();
  const MemoryStats after_more = alloc.stats();
  CHECK(after_more.backend_allocs == after_first.backend_allocs);
  CHECK(after_more.cache_hits > after_first.cache_hits);
  CHECK(after_more.current == after_first.current);
}

TEST_CASE("peak and current count live device bytes") {
  CachingAllocator& alloc = cuda::allocator();
  start_from_a_used_then_emptied_cache(alloc);
  const size_t base = alloc.stats().current;
  alloc.reset_peak();
  CHECK(alloc.stats().peak == base);
  {
    Tensor a = Tensor::empty({1 << 20}, DType::F32, Device::cuda());  // 4 MiB, a multiple of the rounding
    CHECK(alloc.stats().current == base + (4u << 20));
  }
  CHECK(alloc.stats().current == base);
  CHECK(alloc.stats().peak == base + (4u << 20));
  CHECK(alloc.stats().reserved >= alloc.stats().current + (4u << 20));  // the block stays cached
}
