// Memory: a caching allocator for device memory and 64-byte-aligned CPU buffers, both with
// current / peak / reserved byte counts.
//
// The caching allocator keeps freed blocks in a size-ordered pool and hands them out again,
// so a training loop that allocates the same shapes every iteration stops calling cudaMalloc
// after the first one. Blocks are never split or merged; a request takes the smallest cached
// block of at least its rounded size and at most 1/8 larger. Freeing is immediate reuse on the
// one stream fbd launches on, which is safe because work on one stream runs in order.
// The backing allocator is a pair of functions, so the policy is tested on the CPU.
#pragma once
#include <cstddef>
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

  // Throws fbd::Error "<name> out of memory ..." when the backing allocator fails even after
  // the cache has been released.
  void* allocate(size_t bytes);
  // Never throws (destructors call it): when the block cannot be cached (no memory for the
  // pool's bookkeeping) it goes straight back to the backing allocator, and a failure there is
  // printed as a warning.
  void deallocate(void* ptr) noexcept;
  void empty_cache();  // give every cached block back to the backing allocator
  MemoryStats stats() const;
  void reset_peak();

  // Sizes are rounded up to 512 bytes below 1 MiB and to 128 KiB above, so that near-equal
  // requests share blocks.
  static size_t round_size(size_t bytes);

 private:
  void release_cached_locked();
  void raw_free_noexcept(void* ptr) noexcept;  // raw_free_, a failure printed

  std::string name_;
  RawAlloc raw_alloc_;
  RawFree raw_free_;
  mutable std::mutex mu_;
  std::unordered_map<void*, size_t> live_;  // pointer -> block size
  std::multimap<size_t, void*> cached_;     // block size -> pointer
  MemoryStats stats_;
};

// 64-byte-aligned host buffers (cache line and AVX-512 width), with the same statistics.
void* cpu_allocate(size_t bytes);
void cpu_deallocate(void* ptr, size_t bytes);
MemoryStats cpu_memory_stats();
void cpu_reset_peak();

}  // namespace fbd
