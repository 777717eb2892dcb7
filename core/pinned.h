// Page-locked ("pinned") host memory for staging host-to-device copies, as the data loader
// does with each batch.
//
// A copy from ordinary (pageable) host memory to a GPU makes the driver bounce the data
// through its own pinned buffer and returns only when that is done; a copy from pinned memory
// is a DMA the host does not wait for. PinnedBuffer allocates with cudaHostAlloc where this
// build has CUDA and a usable GPU, and falls back to 64-byte-aligned ordinary memory otherwise
// (CPU-only builds, machines without a GPU), where copy_to is a memcpy.
//
// Protocol: fill data(), call copy_to() for each destination tensor (the copies go on the
// destination device's fbd stream, after the work already queued there, and are not waited
// for), and call wait() before writing data() again. The destructor waits too.
#pragma once
#include <cstddef>

#include "core/tensor.h"

namespace fbd {

class PinnedBuffer {
 public:
  explicit PinnedBuffer(size_t bytes);
  ~PinnedBuffer();
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  void* data() const { return ptr_; }
  size_t size() const { return size_; }
  bool pinned() const { return pinned_; }  // false: ordinary memory (no CUDA, or no usable GPU)

  // Copies dst.nbytes() bytes from data() + offset into dst (contiguous, any device).
  void copy_to(const Tensor& dst, size_t offset);
  // Returns once every copy issued from this buffer has finished.
  void wait();

 private:
  void* ptr_ = nullptr;
  size_t size_ = 0;
  bool pinned_ = false;
  [[maybe_unused]] void* event_ = nullptr;  // cudaEvent_t of the last asynchronous copy (CUDA builds)
  [[maybe_unused]] int event_device_ = -1;
};

}  // namespace fbd
