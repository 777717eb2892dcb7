// The caching allocator's policy, driven by a counting fake backend (so it runs on the CPU),
// and the CPU allocator's accounting.
#include <doctest/doctest.h>

#include <cstdlib>
#include <set>

#include "core/allocator.h"
#include "tests/test_util.h"

using namespace fbd;

namespace {
struct FakeBackend {
  int allocs = 0, frees = 0;
  int fail_next = 0;  // number of upcoming allocations to refuse
  std::set<void*> live;
  CachingAllocator make() {
    return CachingAllocator(
        "fake",
        [this](size_t bytes) -> void* {
          if (fail_next > 0) {
            --fail_next;
            return nullptr;
          }
          ++allocs;
          void* p = std::malloc(bytes);
          live.insert(p);
          return p;
        },
        [this](void* p) {
          ++frees;
          live.erase(p);
          std::free(p);
        });
  }
};
}  // namespace

TEST_CASE("sizes round to 512 bytes below 1 MiB and to 128 KiB above") {
  CHECK(CachingAllocator::round_size(0) == 512);
  CHECK(CachingAllocator::round_size(1) == 512);
  CHECK(CachingAllocator::round_size(512) == 512);
  CHECK(CachingAllocator::round_size(513) == 1024);
  CHECK(CachingAllocator::round_size((1 << 20) + 1) == (1 << 20) + 128 * 1024);
}

TEST_CASE("a freed block is reused for the next request of the same size") {
  FakeBackend backend;
  CachingAllocator alloc = backend.make();
  for (int iter = 0; iter < 10; ++iter) {  // a training loop: same shapes every iteration
    void* a = alloc.allocate(4000);
    void* b = alloc.allocate(100000);
    alloc.deallocate(a);
    alloc.deallocate(b);
  }
  CHECK(backend.allocs == 2);
  const MemoryStats s = alloc.stats();
  CHECK(s.requests == 20);
  CHECK(s.cache_hits == 18);
  CHECK(s.current == 0);
  CHECK(s.reserved == CachingAllocator::round_size(4000) + CachingAllocator::round_size(100000));
}

TEST_CASE("current, peak and reserved follow allocations") {
  FakeBackend backend;
  CachingAllocator alloc = backend.make();
  void* a = alloc.allocate(1024);
  void* b = alloc.allocate(2048);
  CHECK(alloc.stats().current == 3072);
  CHECK(alloc.stats().peak == 3072);
  alloc.deallocate(a);
  CHECK(alloc.stats().current == 2048);
  CHECK(alloc.stats().peak == 3072);
  CHECK(alloc.stats().reserved == 3072);  // the freed block stays cached
  alloc.reset_peak();
  CHECK(alloc.stats().peak == 2048);
  alloc.empty_cache();
  CHECK(alloc.stats().reserved == 2048);
  CHECK(backend.frees == 1);
  alloc.deallocate(b);
}

TEST_CASE("a cached block is reused only when at most 1/8 larger than asked") {
  FakeBackend backend;
  CachingAllocator alloc = backend.make();
  void* big = alloc.allocate(8192);
  alloc.deallocate(big);
  void* slightly_smaller = alloc.allocate(7680);  // 8192 <= 7680 * 9/8: reuse
  CHECK(slightly_smaller == big);
  alloc.deallocate(slightly_smaller);
  void* much_smaller = alloc.allocate(1024);  // would waste 7/8 of the block: new allocation
  CHECK(much_smaller != big);
  CHECK(backend.allocs == 2);
  alloc.deallocate(much_smaller);
}

TEST_CASE("out of memory: the cache is released and the request retried, then a clear error") {
  FakeBackend backend;
  CachingAllocator alloc = backend.make();
  void* a = alloc.allocate(4096);
  alloc.deallocate(a);  // cached
  backend.fail_next = 1;
  void* b = alloc.allocate(1 << 20);  // first try refused, cache released, second try works
  CHECK(b != nullptr);
  CHECK(backend.frees == 1);
  backend.fail_next = 2;
  const std::string msg = test::error_of([&] { alloc.allocate(1 << 21); });
  CHECK(test::contains(msg, "fake out of memory"));
  CHECK(test::contains(msg, "bytes in use"));
  alloc.deallocate(b);
}

TEST_CASE("destroying the allocator returns its cached blocks") {
  FakeBackend backend;
  {
    CachingAllocator alloc = backend.make();
    alloc.deallocate(alloc.allocate(100));
    alloc.deallocate(alloc.allocate(5000));
  }
  CHECK(backend.live.empty());
}

TEST_CASE("CPU allocations are aligned and counted") {
  const MemoryStats before = cpu_memory_stats();
  void* p = cpu_allocate(100);
  CHECK(reinterpret_cast<uintptr_t>(p) % 64 == 0);
  CHECK(cpu_memory_stats().current == before.current + 128);
  CHECK(cpu_memory_stats().peak >= before.current + 128);
  cpu_deallocate(p, 100);
  CHECK(cpu_memory_stats().current == before.current);
}
