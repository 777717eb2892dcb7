// Memory: a caching allocator for device memory and for large host buffers, and 64-byte-aligned
// CPU buffers, all with current / peak / reserved byte counts.
//
// The caching allocator keeps freed blocks in a size-ordered pool and hands them out again,
// so a training loop that allocates the same shapes every iteration stops calling cudaMalloc
// after the first one. Blocks are never split or merged; a request takes the smallest cached
// block of at least its rounded size and at most 1/8 larger. Freeing is immediate reuse on the
// one stream fbd launches on, which is safe because work on one stream runs in order.
// The pool may be bounded (set_cache_limit): the least recently freed blocks go back first.
// The backing allocator is a pair of functions, so the policy is tested on the CPU.
//
// Host buffers of 1 MiB and more go through such a pool too (bounded, docs/ENGINE.md): glibc
// hands large blocks back to the kernel on free (mmap above 32 MiB, heap trimming below), so
// every training step page-faulted its feature maps in afresh, zeroing each page first.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

namespace fbd {

struct MemoryStats {
  size_t current = 0;   // bytes in live blocks (rounded sizes)
  size_t peak = 0;      // largest `current` since the last reset_peak()
  size_t reserved = 0;  // bytes held from the backing allocator: live plus cached
  size_t requests = 0;  // allocate() calls
  size_t cache_hits = 0;
  size_t backend_allocs = 0;  // calls into the backing allocator (cudaMalloc)
};

class CachingAllocator {
 public:
  using RawAlloc = std::function<void*(size_t)>;  // returns nullptr when out of memory
  using RawFree = std::function<void(void*)>;

  // raw_free runs in destructors too (Storage's, through deallocate, and this class's), so
  // it should report failures by printing (FBD_CUDA_WARN); an exception it throws anyway is
  // caught and printed there.
  CachingAllocator(std::string name, RawAlloc raw_alloc, RawFree raw_free);
  ~CachingAllocator();  // returns the cached blocks; live blocks belong to their owners
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  struct Block {
    void* ptr;
    size_t size;  // the block's size: the rounded request, or a cached block up to 1/8 larger
  };
  // Throws fbd::Error "<name> out of memory ..." when the backing allocator fails even after
  // the cache has been released.
  void* allocate(size_t bytes) { return allocate_block(bytes).ptr; }
  Block allocate_block(size_t bytes);
  // Never throws (destructors call it): when the block cannot be cached (over the limit, or no
  // memory for the pool's bookkeeping) it goes straight back to the backing allocator, and a
  // failure there is printed as a warning. Returns the block's size (0: not a live block of
  // this allocator, left alone).
  size_t deallocate(void* ptr) noexcept;
  void empty_cache();  // give every cached block back to the backing allocator
  // The most bytes kept in freed blocks (default: no limit). A freed block that would exceed
  // it first sends the least recently freed cached blocks back; one larger than the limit is
  // not cached at all (0: nothing is cached).
  void set_cache_limit(size_t bytes);
  size_t cache_limit() const;
  MemoryStats stats() const;
  void reset_peak();

  // Sizes are rounded up to 512 bytes below 1 MiB and to 128 KiB above, so that near-equal
  // requests share blocks.
  static size_t round_size(size_t bytes);

 private:
  struct Cached {
    void* ptr;
    uint64_t age;  // order of freeing: the key into by_age_
  };
  using CachedMap = std::multimap<size_t, Cached>;  // block size -> block

  void release_cached_locked();
  void evict_locked(CachedMap::iterator it);   // give one cached block back
  void trim_to_locked(size_t cached_bytes);    // evict the oldest until at most this is cached
  void raw_free_noexcept(void* ptr) noexcept;  // raw_free_, a failure printed

  std::string name_;
  RawAlloc raw_alloc_;
  RawFree raw_free_;
  mutable std::mutex mu_;
  std::unordered_map<void*, size_t> live_;  // pointer -> block size
  CachedMap cached_;
  std::map<uint64_t, CachedMap::iterator> by_age_;  // least recently freed first
  uint64_t next_age_ = 0;
  size_t cached_bytes_ = 0;  // in cached_
  size_t limit_ = SIZE_MAX;
  MemoryStats stats_;
};

// 64-byte-aligned host buffers (cache line and AVX-512 width), with the same statistics.
// Buffers of kCpuCacheMinBytes and more come from a bounded caching pool ("host"; reserved
// counts its cached blocks, cache_hits its reuses, backend_allocs every aligned_alloc). Its
// limit is 2 GiB (at most a quarter of physical memory), FBD_CPU_CACHE_MB=N MiB, and
// FBD_CPU_CACHE_MB=0 caches nothing (every free goes back to glibc at once). Builds with
// AddressSanitizer have no pool (ASan must see every free to report a use after it, and the
// exact size to report an overflow), so every buffer goes to aligned_alloc there.
inline constexpr size_t kCpuCacheMinBytes = size_t(1) << 20;
void* cpu_allocate(size_t bytes);
void cpu_deallocate(void* ptr, size_t bytes);
MemoryStats cpu_memory_stats();
void cpu_reset_peak();
bool cpu_cache_enabled();                // false in ASan builds
size_t cpu_cache_limit();                // 0 where there is no pool
void cpu_set_cache_limit(size_t bytes);  // no effect where there is no pool
void cpu_empty_cache();
// FBD_CPU_CACHE_MB's reading: unset or empty -> default_limit, N -> N MiB, anything else a
// warning and default_limit.
size_t cpu_cache_limit_from_env(const char* value, size_t default_limit);

}  // namespace fbd
