// CUDA builds only: the stream, handles and allocator of each device.
#include "core/cuda_context.h"

#include <array>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "core/cuda_check.h"
#include "core/error.h"
#include "kernels/copy_kernels.h"

namespace fbd {

namespace {

constexpr int kMaxDevices = 16;

struct Context {
  int index = 0;
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  cudnnHandle_t cudnn = nullptr;
  std::unique_ptr<CachingAllocator> allocator;
  std::once_flag cublas_once, cudnn_once;
};

std::mutex g_mu;
// Leaked on purpose: tensors held in static objects may be freed after main returns, and
// must still find their allocator; the driver reclaims everything at process exit.
std::array<Context*, kMaxDevices> g_contexts{};
bool g_sync_debug = [] {
  const char* v = std::getenv("FBD_SYNC");
  return v != nullptr && v[0] != '\0' && v[0] != '0';
}();

Context& context(int device) {
  FBD_CHECK(device >= 0 && device < kMaxDevices, "CUDA device index ", device, " out of range");
  std::lock_guard<std::mutex> lock(g_mu);
  Context*& c = g_contexts[device];
  if (c == nullptr) {
    std::string why;
    FBD_CHECK(cuda_usable(&why), "CUDA requested but no usable CUDA GPU: ", why);
    int count = 0;
    FBD_CUDA_CHECK(cudaGetDeviceCount(&count));
    FBD_CHECK(device < count, "cuda:", device, " requested but only ", count, " CUDA device(s) present");
    auto* ctx = new Context;
    ctx->index = device;
    FBD_CUDA_CHECK(cudaSetDevice(device));
    FBD_CUDA_CHECK(cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking));
    ctx->allocator = std::make_unique<CachingAllocator>(
        "cuda:" + std::to_string(device),
        [device](size_t bytes) -> void* {
          void* p = nullptr;
          FBD_CUDA_CHECK(cudaSetDevice(device));
          const cudaError_t err = cudaMalloc(&p, bytes);
          if (err == cudaErrorMemoryAllocation) {
            cudaGetLastError();  // clear it: the allocator retries after emptying its cache
            return nullptr;
          }
          FBD_CUDA_CHECK(err);
          return p;
        },
        [](void* p) { FBD_CUDA_WARN(cudaFree(p)); });
    c = ctx;
  } else {
    FBD_CUDA_CHECK(cudaSetDevice(device));
  }
  return *c;
}

}  // namespace

namespace cuda {

kernels::Stream stream(int device) { return context(device).stream; }

cublasContext* cublas(int device) {
  Context& c = context(device);
  std::call_once(c.cublas_once, [&] {
    FBD_CUBLAS_CHECK(cublasCreate(&c.cublas));
    FBD_CUBLAS_CHECK(cublasSetStream(c.cublas, c.stream));
    // Plain float32: CUBLAS_DEFAULT_MATH never uses TF32 for cublasSgemm. Reduced precision
    // will be an explicit switch with float32 as the reference.
    FBD_CUBLAS_CHECK(cublasSetMathMode(c.cublas, CUBLAS_DEFAULT_MATH));
  });
  return c.cublas;
}

cudnnContext* cudnn(int device) {
  Context& c = context(device);
  std::call_once(c.cudnn_once, [&] {
    FBD_CUDNN_CHECK(cudnnCreate(&c.cudnn));
    FBD_CUDNN_CHECK(cudnnSetStream(c.cudnn, c.stream));
  });
  return c.cudnn;
}

CachingAllocator& allocator(int device) { return *context(device).allocator; }

void synchronize(int device) { FBD_CUDA_CHECK(cudaStreamSynchronize(context(device).stream)); }

void check_launch(const char* op) { check_launch(op, kernels::LaunchStatus{}); }

void check_launch(const char* op, kernels::LaunchStatus status) {
  // In sync-debug mode, wait first and read the error after. An asynchronous fault of this
  // op's kernels is sticky: read before the wait, it would be missed (not there yet) or, if it
  // came in time, be taken for a launch failure. Nothing else runs before the error is read,
  // no cudaSetDevice or cudaGetDevice either: a checked call would throw the sticky error as
  // its own failure and lose the op's name. The wait covers the current device (which the
  // op's cuda::stream() call selected), so work the op put on any stream is included.
  cudaError_t err = status.ok() ? cudaSuccess : cudaError_t(status.error);
  const char* call = status.ok() ? nullptr : status.call;
  if (g_sync_debug) {
    const cudaError_t sync_err = cudaDeviceSynchronize();
    if (err == cudaSuccess) err = sync_err;
  }
  const cudaError_t last = cudaGetLastError();  // also clears a non-sticky error
  if (err == cudaSuccess) err = last;
  if (err != cudaSuccess) FBD_FAIL(detail::launch_failure_message(op, err, g_sync_debug, call));
}

void set_sync_debug(bool on) { g_sync_debug = on; }
bool sync_debug() { return g_sync_debug; }

namespace {

// An event recorded on `from`'s stream, waited for by `to`'s stream: work queued on `to` after
// this call starts only once the work queued on `from` before it has finished. The event is
// destroyed at once; the runtime keeps it alive until the wait is resolved. Leaves `from`'s
// device current.
void order_after(Context& from, Context& to) {
  FBD_CUDA_CHECK(cudaSetDevice(from.index));  // an event is recorded on its own device's stream
  cudaEvent_t ev = nullptr;
  FBD_CUDA_CHECK(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming));
  const cudaError_t rec = cudaEventRecord(ev, from.stream);
  const cudaError_t wait = rec == cudaSuccess ? cudaStreamWaitEvent(to.stream, ev, 0) : cudaSuccess;
  FBD_CUDA_WARN(cudaEventDestroy(ev));
  FBD_CUDA_CHECK(rec);
  FBD_CUDA_CHECK(wait);
}

}  // namespace

void copy(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (bytes == 0) return;
  const int dev = dst_device.is_cuda() ? dst_device.index : src_device.index;
  cudaMemcpyKind kind = cudaMemcpyDefault;  // unified addressing works out the direction
  if (dst_device.is_cuda() && src_device.is_cuda() && dst_device.index != src_device.index) {
    // Between two GPUs the copy runs on the destination's stream, but its source is written by
    // work on the source device's stream: without an order between the two streams the copy
    // could read the source before the kernel that writes it has run. And once the copy is
    // queued, the caller may free the source, whose block the source device's caching allocator
    // hands to the next op on its stream at once: that op must not overwrite it before the copy
    // has read it. So the copy waits for the source stream, and the source stream for the copy.
    Context& s = context(src_device.index);
    Context& d = context(dst_device.index);
    order_after(s, d);
    FBD_CUDA_CHECK(cudaSetDevice(d.index));
    FBD_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, d.stream));
    order_after(d, s);  // leaves d current, as the other copies leave their stream's device
    return;
  }
  Context& c = context(dev);
  FBD_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, c.stream));
  // Host destinations (and pageable host sources, which the caller may free or overwrite
  // next) must have arrived before we return.
  if (dst_device.is_cpu() || src_device.is_cpu()) FBD_CUDA_CHECK(cudaStreamSynchronize(c.stream));
}

void memset_zero(void* ptr, size_t bytes, int device) {
  if (bytes == 0) return;
  FBD_CUDA_CHECK(cudaMemsetAsync(ptr, 0, bytes, context(device).stream));
}

std::string device_name(int device) {
  cudaDeviceProp prop{};
  FBD_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  return prop.name;
}

}  // namespace cuda

// ---- device.h, CUDA build -----------------------------------------------------------------

bool cuda_usable(std::string* why) {
  static std::string reason;
  static const bool usable = [] {
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
      cudaGetLastError();
      reason = std::string(cudaGetErrorString(err)) + " (" + cudaGetErrorName(err) + ")";
      return false;
    }
    if (count == 0) {
      reason = "no CUDA device found";
      return false;
    }
    // Launch one tiny kernel: catches a GPU whose architecture this build has no code for.
    float* probe = nullptr;
    err = cudaMalloc(&probe, sizeof(float));
    if (err == cudaSuccess) {
      kernels::fill_f32_cuda(probe, 1, 1.0f, nullptr);
      err = cudaGetLastError();
      if (err == cudaSuccess) err = cudaDeviceSynchronize();
      cudaFree(probe);
    }
    if (err != cudaSuccess) {
      cudaGetLastError();
      reason = std::string("test kernel failed on cuda:0: ") + cudaGetErrorString(err);
      return false;
    }
    return true;
  }();
  if (!usable && why != nullptr) *why = reason;
  return usable;
}

std::string describe_build() {
  int rt = 0, drv = 0;
  cudaRuntimeGetVersion(&rt);
  cudaDriverGetVersion(&drv);
  std::string s = "fbd built with CUDA runtime " + std::to_string(rt / 1000) + "." + std::to_string(rt % 1000 / 10) +
                  ", cuDNN " + std::to_string(cudnnGetVersion()) + "; driver supports CUDA " +
                  std::to_string(drv / 1000) + "." + std::to_string(drv % 1000 / 10);
  std::string why;
  if (cuda_usable(&why)) {
    s += "; GPU cuda:0 = " + cuda::device_name(0);
  } else {
    s += "; no usable GPU (" + why + ")";
  }
  return s;
}

}  // namespace fbd
