// CPU-only builds (FBD_CUDA=OFF or no toolkit): the CUDA entry points exist but say why they
// cannot work, in one line.
#include "core/cuda_context.h"
#include "core/error.h"

namespace fbd {

namespace {
[[noreturn]] void no_cuda() {
  FBD_FAIL("CUDA requested but no usable CUDA GPU: fbd was built without CUDA (FBD_CUDA=OFF or no toolkit found)");
}
}  // namespace

bool cuda_usable(std::string* why) {
  if (why != nullptr) *why = "fbd was built without CUDA (FBD_CUDA=OFF or no toolkit found)";
  return false;
}

std::string describe_build() { return "fbd built without CUDA (CPU backend only)"; }

namespace cuda {
kernels::Stream stream(int) { no_cuda(); }
cublasContext* cublas(int) { no_cuda(); }
cudnnContext* cudnn(int) { no_cuda(); }
CachingAllocator& allocator(int) { no_cuda(); }
void synchronize(int) { no_cuda(); }
void check_launch(const char*) { no_cuda(); }
void check_launch(const char*, kernels::LaunchStatus) { no_cuda(); }
void set_sync_debug(bool) {}
bool sync_debug() { return false; }
void copy(void*, Device, const void*, Device, size_t) { no_cuda(); }
void memset_zero(void*, size_t, int) { no_cuda(); }
std::string device_name(int) { no_cuda(); }
}  // namespace cuda

}  // namespace fbd
