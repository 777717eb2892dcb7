#include "core/pinned.h"

#include <cstdlib>
#include <cstring>

#include "core/error.h"

#if FBD_WITH_CUDA
#include <cuda_runtime.h>

#include "core/cuda_check.h"
#include "core/cuda_context.h"
#endif

namespace fbd {

namespace {
constexpr size_t kAlign = 64;
size_t round_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }
}  // namespace

PinnedBuffer::PinnedBuffer(size_t bytes) : size_(bytes) {
#if FBD_WITH_CUDA
  if (bytes > 0 && cuda_usable()) {
    void* p = nullptr;
    if (cudaHostAlloc(&p, bytes, cudaHostAllocPortable) == cudaSuccess) {
      ptr_ = p;
      pinned_ = true;
      return;
    }
    cudaGetLastError();  // fall back to ordinary memory, which only makes copies synchronous
  }
#endif
  ptr_ = std::aligned_alloc(kAlign, round_up(bytes == 0 ? 1 : bytes));
  FBD_CHECK(ptr_ != nullptr, "pinned buffer: out of host memory for ", bytes, " bytes");
}

PinnedBuffer::~PinnedBuffer() {
#if FBD_WITH_CUDA
  if (event_ != nullptr) {
    FBD_CUDA_WARN(cudaEventSynchronize(static_cast<cudaEvent_t>(event_)));
    FBD_CUDA_WARN(cudaEventDestroy(static_cast<cudaEvent_t>(event_)));
  }
  if (pinned_) {
    FBD_CUDA_WARN(cudaFreeHost(ptr_));
    return;
  }
#endif
  std::free(ptr_);
}

void PinnedBuffer::copy_to(const Tensor& dst, size_t offset) {
  const size_t bytes = dst.nbytes();
  FBD_CHECK(offset + bytes <= size_, "pinned buffer: copy of ", bytes, " bytes at offset ", offset,
            " overruns the buffer of ", size_, " bytes");
  const char* src = static_cast<const char*>(ptr_) + offset;
  if (dst.is_cpu()) {
    std::memcpy(dst.raw_data(), src, bytes);
    return;
  }
#if FBD_WITH_CUDA
  const int dev = dst.device().index;
  cudaStream_t stream = cuda::stream(dev);  // also makes `dev` current
  if (!pinned_) {
    copy_bytes(dst.raw_data(), dst.device(), src, Device::cpu(), bytes);  // synchronous
    return;
  }
  if (event_ != nullptr && event_device_ != dev) {
    wait();
    FBD_CUDA_CHECK(cudaEventDestroy(static_cast<cudaEvent_t>(event_)));
    event_ = nullptr;
  }
  if (event_ == nullptr) {
    cudaEvent_t ev = nullptr;
    FBD_CUDA_CHECK(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming));
    event_ = ev;
    event_device_ = dev;
  }
  FBD_CUDA_CHECK(cudaMemcpyAsync(dst.raw_data(), src, bytes, cudaMemcpyHostToDevice, stream));
  // Work on one stream runs in order, so the last copy's event covers the earlier ones.
  FBD_CUDA_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(event_), stream));
#else
  FBD_FAIL("pinned buffer: copy to ", dst.device().str(), " in a build without CUDA");
#endif
}

void PinnedBuffer::wait() {
#if FBD_WITH_CUDA
  if (event_ != nullptr) FBD_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(event_)));
#endif
}

}  // namespace fbd
