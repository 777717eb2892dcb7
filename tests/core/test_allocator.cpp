// The caching allocator's policy, driven by a counting fake backend (so it runs on the CPU),
// its cache limit, and the CPU allocator's accounting and large-buffer pool.
#include <doctest/doctest.h>

#include <cstdlib>
#include <set>
#include <vector>

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

TEST_CASE("a cache limit evicts the least recently freed blocks first") {
  FakeBackend backend;
  CachingAllocator alloc = backend.make();
  const size_t mib = size_t(1) << 20;
  alloc.set_cache_limit(3 * mib);
  void* a = alloc.allocate(mib);
  void* b = alloc.allocate(2 * mib);
  void* c = alloc.allocate(mib);
  alloc.deallocate(a);
  alloc.deallocate(b);  // a and b cached: 3 MiB, at the limit
  CHECK(alloc.stats().reserved == 4 * mib);
  CHECK(backend.frees == 0);
  alloc.deallocate(c);  // over the limit: a, the oldest, goes back
  CHECK(backend.frees == 1);
  CHECK(backend.live.count(a) == 0);
  CHECK(alloc.stats().reserved == 3 * mib);
  CHECK(alloc.stats().current == 0);
  CHECK(alloc.allocate(2 * mib) == b);  // the survivors are still reused
  void* c2 = alloc.allocate(mib);
  CHECK(c2 == c);
  CHECK(alloc.stats().cache_hits == 2);
  alloc.deallocate(b);
  alloc.deallocate(c2);
}

TEST_CASE("a block larger than the cache limit, and every block under a limit of 0, is freed at once") {
  FakeBackend backend;
  CachingAllocator alloc = backend.make();
  alloc.set_cache_limit(size_t(1) << 20);
  alloc.deallocate(alloc.allocate(size_t(2) << 20));
  CHECK(backend.frees == 1);
  CHECK(alloc.stats().reserved == 0);
  alloc.set_cache_limit(0);  // switched off: a training loop allocates from the backend every time
  for (int i = 0; i < 3; ++i) alloc.deallocate(alloc.allocate(4096));
  CHECK(backend.allocs == 4);
  CHECK(backend.frees == 4);
  CHECK(alloc.stats().cache_hits == 0);
  CHECK(alloc.stats().reserved == 0);
}

TEST_CASE("lowering the cache limit gives cached blocks back, oldest first") {
  FakeBackend backend;
  CachingAllocator alloc = backend.make();
  void* a = alloc.allocate(100000);
  void* b = alloc.allocate(100000);
  alloc.deallocate(a);
  alloc.deallocate(b);
  alloc.set_cache_limit(CachingAllocator::round_size(100000));
  CHECK(backend.live.count(a) == 0);
  CHECK(backend.live.count(b) == 1);
  CHECK(alloc.cache_limit() == CachingAllocator::round_size(100000));
  alloc.set_cache_limit(0);
  CHECK(backend.live.empty());
  CHECK(alloc.stats().reserved == 0);
}

TEST_CASE("deallocate reports the size of the block it took back") {
  FakeBackend backend;
  CachingAllocator alloc = backend.make();
  const CachingAllocator::Block big = alloc.allocate_block(9000);
  CHECK(big.size == CachingAllocator::round_size(9000));
  CHECK(alloc.deallocate(big.ptr) == big.size);
  const CachingAllocator::Block reused = alloc.allocate_block(8500);  // the 9216-byte block, 1/8 rule
  CHECK(reused.ptr == big.ptr);
  CHECK(reused.size == big.size);
  int not_ours = 0;
  CHECK(alloc.deallocate(&not_ours) == 0);
  CHECK(alloc.deallocate(reused.ptr) == big.size);
}

TEST_CASE("FBD_CPU_CACHE_MB sets the host cache limit in MiB; 0 switches caching off") {
  const size_t dflt = 12345;
  CHECK(cpu_cache_limit_from_env(nullptr, dflt) == dflt);
  CHECK(cpu_cache_limit_from_env("", dflt) == dflt);
  CHECK(cpu_cache_limit_from_env("0", dflt) == 0);
  CHECK(cpu_cache_limit_from_env("512", dflt) == (size_t(512) << 20));
  CHECK(cpu_cache_limit_from_env("lots", dflt) == dflt);  // a warning, and the default
  CHECK(cpu_cache_limit_from_env("-1", dflt) == dflt);
  CHECK(cpu_cache_limit_from_env("12MB", dflt) == dflt);
}

TEST_CASE("large CPU buffers come from the host cache: reused, aligned, counted, bounded") {
  if (!cpu_cache_enabled()) {  // AddressSanitizer builds: every buffer goes to aligned_alloc
    CHECK(cpu_cache_limit() == 0);
    return;
  }
  const size_t saved_limit = cpu_cache_limit();
  cpu_empty_cache();
  const size_t big = (size_t(5) << 20) + 100;  // a size no other test's tensors have
  const size_t block = CachingAllocator::round_size(big);
  const MemoryStats s0 = cpu_memory_stats();
  void* p = cpu_allocate(big);
  CHECK(reinterpret_cast<uintptr_t>(p) % 64 == 0);
  CHECK(cpu_memory_stats().current == s0.current + block);
  cpu_deallocate(p, big);
  const MemoryStats s1 = cpu_memory_stats();
  CHECK(s1.current == s0.current);
  CHECK(s1.reserved == s0.reserved + block);  // kept, and reported as reserved
  void* q = cpu_allocate(big);
  CHECK(q == p);  // reused: no page faults on the second training step
  CHECK(cpu_memory_stats().cache_hits == s1.cache_hits + 1);
  CHECK(cpu_memory_stats().backend_allocs == s1.backend_allocs);
  cpu_deallocate(q, big);

  cpu_set_cache_limit(0);  // what FBD_CPU_CACHE_MB=0 does: nothing kept
  CHECK(cpu_memory_stats().reserved == cpu_memory_stats().current);
  void* r = cpu_allocate(big);
  cpu_deallocate(r, big);
  CHECK(cpu_memory_stats().reserved == cpu_memory_stats().current);
  CHECK(cpu_memory_stats().cache_hits == s1.cache_hits + 1);

  cpu_set_cache_limit(2 * block);  // bounded: a third freed block sends the oldest back
  std::vector<void*> ptrs;
  for (int i = 0; i < 3; ++i) ptrs.push_back(cpu_allocate(big));
  for (void* ptr : ptrs) cpu_deallocate(ptr, big);
  CHECK(cpu_memory_stats().reserved - cpu_memory_stats().current == 2 * block);
  cpu_set_cache_limit(saved_limit);
}

TEST_CASE("small CPU buffers bypass the host cache") {
  const MemoryStats before = cpu_memory_stats();
  void* p = cpu_allocate(kCpuCacheMinBytes - 64);
  CHECK(cpu_memory_stats().current == before.current + kCpuCacheMinBytes - 64);  // 64-byte rounding only
  cpu_deallocate(p, kCpuCacheMinBytes - 64);
  CHECK(cpu_memory_stats().reserved == before.reserved);
  CHECK(cpu_memory_stats().cache_hits == before.cache_hits);
}
