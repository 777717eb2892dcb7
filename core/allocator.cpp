#include "core/allocator.h"

#include <algorithm>
#include <atomic>
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

void* CachingAllocator::allocate(size_t bytes) {
  const size_t size = round_size(bytes);
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.requests;
  void* ptr = nullptr;
  size_t block = size;
  auto it = cached_.lower_bound(size);
  if (it != cached_.end() && it->first <= size + size / 8) {
    block = it->first;
    ptr = it->second;
    cached_.erase(it);
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
  live_.emplace(ptr, block);
  stats_.current += block;
  stats_.peak = std::max(stats_.peak, stats_.current);
  return ptr;
}

void CachingAllocator::deallocate(void* ptr) noexcept {
  if (ptr == nullptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(ptr);
  if (it == live_.end()) return;  // not ours: ignore rather than corrupt the pool
  const size_t size = it->second;
  stats_.current -= size;
  live_.erase(it);
  try {
    cached_.emplace(size, ptr);
  } catch (...) {  // no memory for a pool node: give the block back instead of caching it
    raw_free_noexcept(ptr);
    stats_.reserved -= size;
  }
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mu_);
  release_cached_locked();
}

void CachingAllocator::release_cached_locked() {
  for (auto& [size, ptr] : cached_) {
    raw_free_noexcept(ptr);
    stats_.reserved -= size;
  }
  cached_.clear();
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
namespace {
std::atomic<size_t> g_cpu_current{0}, g_cpu_peak{0}, g_cpu_requests{0};
constexpr size_t kCpuAlign = 64;
}  // namespace

void* cpu_allocate(size_t bytes) {
  const size_t size = std::max<size_t>(kCpuAlign, (bytes + kCpuAlign - 1) / kCpuAlign * kCpuAlign);
  void* ptr = std::aligned_alloc(kCpuAlign, size);
  FBD_CHECK(ptr != nullptr, "host out of memory: could not allocate ", size, " bytes");
  const size_t now = g_cpu_current.fetch_add(size) + size;
  size_t peak = g_cpu_peak.load();
  while (now > peak && !g_cpu_peak.compare_exchange_weak(peak, now)) {
  }
  ++g_cpu_requests;
  return ptr;
}

void cpu_deallocate(void* ptr, size_t bytes) {
  if (ptr == nullptr) return;
  const size_t size = std::max<size_t>(kCpuAlign, (bytes + kCpuAlign - 1) / kCpuAlign * kCpuAlign);
  std::free(ptr);
  g_cpu_current -= size;
}

MemoryStats cpu_memory_stats() {
  MemoryStats s;
  s.current = g_cpu_current.load();
  s.peak = g_cpu_peak.load();
  s.reserved = s.current;
  s.requests = g_cpu_requests.load();
  s.backend_allocs = s.requests;
  return s;
}

void cpu_reset_peak() { g_cpu_peak = g_cpu_current.load(); }

}  // namespace fbd
