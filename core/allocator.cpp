#include "core/allocator.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "core/error.h"

namespace fbd {

CachingAllocator::CachingAllocator(std::string name, RawAlloc raw_alloc, RawFree raw_free)
    : name_(std::move(name)), raw_alloc_(std::move(raw_alloc)), raw_free_(std::move(raw_free)) {}

CachingAllocator::~CachingAllocator() {
  std::lock_guard<std::mutex> lock(mu_);
  release_cached_locked();  // prints, never throws
}

size_t CachingAllocator::round_size(size_t bytes) {
  constexpr size_t kSmall = 512, kLarge = 128 * 1024, kSmallLimit = 1 << 20;
  if (bytes == 0) return kSmall;
  const size_t g = bytes < kSmallLimit ? kSmall : kLarge;
  return (bytes + g - 1) / g * g;
}

CachingAllocator::Block CachingAllocator::allocate_block(size_t bytes) {
  const size_t size = round_size(bytes);
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.requests;
  void* ptr = nullptr;
  size_t block = size;
  auto it = cached_.lower_bound(size);
  if (it != cached_.end() && it->first <= size + size / 8) {
    block = it->first;
    ptr = it->second.ptr;
    by_age_.erase(it->second.age);
    cached_.erase(it);
    cached_bytes_ -= block;
    ++stats_.cache_hits;
  } else {
    ptr = raw_alloc_(size);
    if (ptr == nullptr && !cached_.empty()) {
      release_cached_locked();  // fragmentation: give the cache back and try once more
      ptr = raw_alloc_(size);
    }
    if (ptr == nullptr) {
      FBD_FAIL(name_, " out of memory: could not allocate ", size, " bytes (", stats_.current, " bytes in use, ",
               stats_.reserved, " reserved, peak ", stats_.peak, ")");
    }
    ++stats_.backend_allocs;
    stats_.reserved += size;
  }
  try {
    live_.emplace(ptr, block);
  } catch (...) {  // no memory for the bookkeeping: the block goes back, the caller gets the error
    raw_free_noexcept(ptr);
    stats_.reserved -= block;
    throw;
  }
  stats_.current += block;
  stats_.peak = std::max(stats_.peak, stats_.current);
  return {ptr, block};
}

size_t CachingAllocator::deallocate(void* ptr) noexcept {
  if (ptr == nullptr) return 0;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(ptr);
  if (it == live_.end()) return 0;  // not ours: ignore rather than corrupt the pool
  const size_t size = it->second;
  stats_.current -= size;
  live_.erase(it);
  if (size > limit_) {  // could never be cached: straight back
    raw_free_noexcept(ptr);
    stats_.reserved -= size;
    return size;
  }
  trim_to_locked(limit_ - size);  // room for it, oldest first
  CachedMap::iterator c = cached_.end();
  try {
    c = cached_.emplace(size, Cached{ptr, next_age_});
    by_age_.emplace(next_age_++, c);
    cached_bytes_ += size;
  } catch (...) {  // no memory for a pool node: give the block back instead of caching it
    if (c != cached_.end()) cached_.erase(c);
    raw_free_noexcept(ptr);
    stats_.reserved -= size;
  }
  return size;
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mu_);
  release_cached_locked();
}

void CachingAllocator::set_cache_limit(size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  limit_ = bytes;
  trim_to_locked(limit_);
}

size_t CachingAllocator::cache_limit() const {
  std::lock_guard<std::mutex> lock(mu_);
  return limit_;
}

void CachingAllocator::release_cached_locked() {
  for (auto& [size, c] : cached_) {
    raw_free_noexcept(c.ptr);
    stats_.reserved -= size;
  }
  cached_.clear();
  by_age_.clear();
  cached_bytes_ = 0;
}

void CachingAllocator::evict_locked(CachedMap::iterator it) {
  raw_free_noexcept(it->second.ptr);
  stats_.reserved -= it->first;
  cached_bytes_ -= it->first;
  by_age_.erase(it->second.age);
  cached_.erase(it);
}

void CachingAllocator::trim_to_locked(size_t cached_bytes) {
  while (!by_age_.empty() && cached_bytes_ > cached_bytes) evict_locked(by_age_.begin()->second);
}

void CachingAllocator::raw_free_noexcept(void* ptr) noexcept {
  try {
    raw_free_(ptr);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fbd: warning: %s: freeing a block failed: %s\n", name_.c_str(), e.what());
  } catch (...) {
    std::fprintf(stderr, "fbd: warning: %s: freeing a block failed\n", name_.c_str());
  }
}

MemoryStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void CachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(mu_);
  stats_.peak = stats_.current;
}

// ---- CPU ------------------------------------------------------------------------------------
// Small buffers go to aligned_alloc, whose free lists reuse them cheaply. Large ones
// (kCpuCacheMinBytes and more) go through a bounded CachingAllocator: glibc serves them with
// mmap (32 MiB and more) or from a heap whose top it trims on free, so without the pool each
// training step page-faulted its outputs in again, the kernel zeroing every 4 KiB page first
// (measured: ~8 000 faults per step of bench/layers.cpp's train_step, a few hundred with the
// pool; docs/ENGINE.md). Routing is by size
// only, so cpu_deallocate finds the pool a block came from without a lookup.

// AddressSanitizer: a cached block handed to the next tensor is valid memory to ASan, so a
// read through a stale pointer would silently see the new tensor's data. Such builds keep the
// cache off and let ASan's quarantine see every free (the pool's policy is tested there with a
// fake backend instead).
#if defined(__SANITIZE_ADDRESS__)
#define FBD_HOST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FBD_HOST_ASAN 1
#endif
#endif

namespace {
std::atomic<size_t> g_cpu_current{0}, g_cpu_peak{0}, g_cpu_requests{0}, g_cpu_direct{0};
constexpr size_t kCpuAlign = 64;

#ifndef FBD_HOST_ASAN
size_t default_cache_limit() {  // 2 GiB, at most a quarter of physical memory
  size_t limit = size_t(2) << 30;
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) limit = std::min(limit, size_t(pages) * size_t(page) / 4);
  return limit;
}
#endif

// The pool, or null in ASan builds. Made on first use and never destroyed: tensors in static
// storage may be freed after any destructor of this file's statics would have run.
CachingAllocator* host_pool() {
  static CachingAllocator* pool = []() -> CachingAllocator* {
#ifdef FBD_HOST_ASAN
    return nullptr;
#else
    auto* p = new CachingAllocator(
        "host", [](size_t bytes) { return std::aligned_alloc(kCpuAlign, bytes); }, [](void* ptr) { std::free(ptr); });
    p->set_cache_limit(cpu_cache_limit_from_env(std::getenv("FBD_CPU_CACHE_MB"), default_cache_limit()));
    return p;
#endif
  }();
  return pool;
}

size_t cpu_round(size_t bytes) { return std::max<size_t>(kCpuAlign, (bytes + kCpuAlign - 1) / kCpuAlign * kCpuAlign); }
}  // namespace

size_t cpu_cache_limit_from_env(const char* value, size_t default_limit) {
  if (value == nullptr || *value == '\0') return default_limit;
  char* end = nullptr;
  errno = 0;
  const unsigned long long mb = std::strtoull(value, &end, 10);
  if (end == value || *end != '\0' || *value == '-' || errno != 0 || mb > (SIZE_MAX >> 20)) {
    std::fprintf(stderr, "fbd: warning: FBD_CPU_CACHE_MB=%s is not a number of MiB; the host cache keeps its default\n",
                 value);
    return default_limit;
  }
  return size_t(mb) << 20;
}

void* cpu_allocate(size_t bytes) {
  void* ptr = nullptr;
  size_t size = 0;
  CachingAllocator* pool = bytes >= kCpuCacheMinBytes ? host_pool() : nullptr;
  if (pool != nullptr) {
    const CachingAllocator::Block b = pool->allocate_block(bytes);  // 128 KiB multiples: 64-byte aligned
    ptr = b.ptr, size = b.size;
  } else {
    size = cpu_round(bytes);
    ptr = std::aligned_alloc(kCpuAlign, size);
    FBD_CHECK(ptr != nullptr, "host out of memory: could not allocate ", size, " bytes");
    ++g_cpu_direct;
  }
  const size_t now = g_cpu_current.fetch_add(size) + size;
  size_t peak = g_cpu_peak.load();
  while (now > peak && !g_cpu_peak.compare_exchange_weak(peak, now)) {
  }
  ++g_cpu_requests;
  return ptr;
}

void cpu_deallocate(void* ptr, size_t bytes) {
  if (ptr == nullptr) return;
  CachingAllocator* pool = bytes >= kCpuCacheMinBytes ? host_pool() : nullptr;
  if (pool != nullptr) {
    g_cpu_current -= pool->deallocate(ptr);
  } else {
    std::free(ptr);
    g_cpu_current -= cpu_round(bytes);
  }
}

MemoryStats cpu_memory_stats() {
  MemoryStats s;
  s.current = g_cpu_current.load();
  s.peak = g_cpu_peak.load();
  s.reserved = s.current;
  s.requests = g_cpu_requests.load();
  s.backend_allocs = g_cpu_direct.load();
  if (const CachingAllocator* pool = host_pool()) {
    const MemoryStats p = pool->stats();
    s.reserved += p.reserved - p.current;  // the cached blocks
    s.cache_hits = p.cache_hits;
    s.backend_allocs += p.backend_allocs;
  }
  return s;
}

void cpu_reset_peak() { g_cpu_peak = g_cpu_current.load(); }

bool cpu_cache_enabled() { return host_pool() != nullptr; }

size_t cpu_cache_limit() { return host_pool() != nullptr ? host_pool()->cache_limit() : 0; }

void cpu_set_cache_limit(size_t bytes) {
  if (CachingAllocator* pool = host_pool()) pool->set_cache_limit(bytes);
}

void cpu_empty_cache() {
  if (CachingAllocator* pool = host_pool()) pool->empty_cache();
}

}  // namespace fbd
