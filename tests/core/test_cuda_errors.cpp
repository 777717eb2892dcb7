// Error paths that must report the fault they meet, checked without a GPU:
//  - a device tensor's storage goes back to the allocator it came from without looking up the
//    device context (a lookup calls cudaSetDevice, which after a kernel fault fails; thrown from
//    a destructor it ends the process before the fault is reported);
//  - the caching allocator never throws from a free: a failing backing free is printed;
//  - (CUDA builds) the messages name the op, say whether a sticky fault may come from an
//    earlier op, and name the runtime call a launch function reports; the _WARN checks print
//    and return, the throwing ones throw.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "core/allocator.h"
#include "core/cuda_context.h"
#include "core/tensor.h"
#include "tests/test_util.h"

#if FBD_WITH_CUDA
#include "core/cuda_check.h"
#endif

using namespace fbd;

TEST_CASE("a device tensor's storage returns to its allocator without a CUDA call and without throwing") {
  static_assert(noexcept(std::declval<CachingAllocator&>().deallocate(nullptr)));
  int frees = 0;
  CachingAllocator fake(
      "fake cuda:0", [](size_t bytes) { return std::malloc(bytes); },
      [&frees](void* p) {
        ++frees;
        std::free(p);
      });
  {
    // Held as memory of cuda:0, on a machine that may have no GPU (or no CUDA at all): if the
    // destructor looked up cuda:0's context it would throw from a destructor and end the test.
    Storage s(1000, Device::cuda(0), fake);
    CHECK(s.device() == Device::cuda(0));
    CHECK(s.data() != nullptr);
    CHECK(fake.stats().current == CachingAllocator::round_size(1000));
  }
  CHECK(fake.stats().current == 0);  // back in the pool it came from
  CHECK(fake.stats().reserved == CachingAllocator::round_size(1000));
  fake.empty_cache();
  CHECK(frees == 1);
}

TEST_CASE("the caching allocator prints, never throws, when the backing free fails") {
  std::vector<void*> handed_back;
  {
    CachingAllocator a(
        "failing", [](size_t bytes) { return std::malloc(bytes); },
        [&handed_back](void* p) {
          handed_back.push_back(p);
          throw Error("the backing free failed");
        });
    a.deallocate(a.allocate(100));
    a.deallocate(a.allocate(5000));
    CHECK_NOTHROW(a.empty_cache());  // both frees fail: printed, and the cache is empty anyway
    CHECK(a.stats().reserved == 0);
    a.deallocate(a.allocate(100));
  }  // the destructor returns the last cached block: its free fails too, printed
  CHECK(handed_back.size() == 3);
  for (void* p : handed_back) std::free(p);
}

#if FBD_WITH_CUDA

TEST_CASE("launch failures: the op is named, and a sticky fault found late says it may be older") {
  using detail::launch_failure_message;
  // Found by FBD_SYNC=1: the fault belongs to the op.
  const std::string synced = launch_failure_message("my_op", cudaErrorIllegalAddress, true);
  CHECK(synced ==
        "CUDA error in op 'my_op' (found by FBD_SYNC=1): cudaErrorIllegalAddress (an illegal memory access was "
        "encountered)");
  // Found without waiting: any earlier op may have faulted; the message says how to find it.
  const std::string late = launch_failure_message("my_op", cudaErrorIllegalAddress, false);
  CHECK(test::contains(late, "cudaErrorIllegalAddress"));
  CHECK(test::contains(late, "found after op 'my_op'"));
  CHECK(test::contains(late, "rerun with FBD_SYNC=1"));
  // A rejected launch is the op's own, waited for or not.
  const std::string launch = launch_failure_message("my_op", cudaErrorInvalidConfiguration, false);
  CHECK(launch.rfind("CUDA kernel launch for op 'my_op' failed: cudaErrorInvalidConfiguration", 0) == 0);
  CHECK(launch_failure_message("my_op", cudaErrorInvalidConfiguration, true) == launch);
  // A runtime call of a launch function (kernels::LaunchStatus) is named.
  CHECK(
      launch_failure_message("metrics_hausdorff", cudaErrorInvalidValue, false, "cub::DeviceSegmentedSort::SortKeys") ==
      "CUDA error in op 'metrics_hausdorff': cub::DeviceSegmentedSort::SortKeys failed: cudaErrorInvalidValue "
      "(invalid argument)");
}

TEST_CASE("sticky errors are the faults of a running kernel") {
  for (const cudaError_t e : {cudaErrorIllegalAddress, cudaErrorLaunchFailure, cudaErrorMisalignedAddress,
                              cudaErrorAssert, cudaErrorIllegalInstruction, cudaErrorHardwareStackError})
    CHECK(detail::cuda_error_is_sticky(e));
  for (const cudaError_t e : {cudaSuccess, cudaErrorInvalidValue, cudaErrorMemoryAllocation,
                              cudaErrorInvalidConfiguration, cudaErrorNoKernelImageForDevice, cudaErrorNotReady})
    CHECK_FALSE(detail::cuda_error_is_sticky(e));
}

TEST_CASE("a checked call that meets a sticky error says it comes from an earlier fault") {
  const std::string m = detail::cuda_call_message(cudaErrorIllegalAddress, "cudaSetDevice(device)", "ctx.cpp", 12);
  CHECK(m.rfind("CUDA error cudaErrorIllegalAddress (an illegal memory access was encountered) in "
                "cudaSetDevice(device) at ctx.cpp:12",
                0) == 0);
  CHECK(test::contains(m, "FBD_SYNC=1"));
  CHECK(detail::cuda_call_message(cudaErrorMemoryAllocation, "cudaMalloc(&p, n)", "a.cpp", 3) ==
        "CUDA error cudaErrorMemoryAllocation (out of memory) in cudaMalloc(&p, n) at a.cpp:3");
}

TEST_CASE("check_launch reports a launch function's failed runtime call by op and call") {
  // The status comes first, whatever cudaGetLastError says (on a machine without a GPU it
  // reports that), so this runs anywhere.
  const kernels::LaunchStatus st{int(cudaErrorInvalidValue), "cudaMemsetAsync of the blocks-done counter"};
  const std::string msg = test::error_of([&] { cuda::check_launch("fbd_loss", st); });
  CHECK(test::contains(msg,
                       "CUDA error in op 'fbd_loss': cudaMemsetAsync of the blocks-done counter failed: "
                       "cudaErrorInvalidValue"));
}

TEST_CASE("the _WARN checks print and return; the throwing checks throw") {
  CHECK_NOTHROW(FBD_CUDA_WARN(cudaErrorIllegalAddress));
  CHECK_NOTHROW(FBD_CUBLAS_WARN(CUBLAS_STATUS_EXECUTION_FAILED));
  CHECK_NOTHROW(FBD_CUDNN_WARN(CUDNN_STATUS_BAD_PARAM));
  const std::string msg = test::error_of([] { FBD_CUDA_CHECK(cudaErrorInvalidValue); });
  CHECK(test::contains(msg, "cudaErrorInvalidValue (invalid argument) in cudaErrorInvalidValue at "));
  CHECK(test::contains(test::error_of([] { FBD_CUDNN_CHECK(CUDNN_STATUS_BAD_PARAM); }), "cuDNN error"));
}

#endif  // FBD_WITH_CUDA
