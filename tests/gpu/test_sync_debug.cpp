// FBD_SYNC (sync-debug mode): an asynchronous fault is reported at the op that caused it.
// Runs in its own process because the fault poisons the CUDA context.
#include <doctest/doctest.h>

#include "core/cuda_context.h"
#include "kernels/copy_kernels.h"
#include "tests/test_util.h"

using namespace fbd;

TEST_CASE("with sync-debug on, an illegal address is reported at the faulting op") {
  cuda::set_sync_debug(true);
  // A device write through a pointer no allocation owns.
  float* bogus = reinterpret_cast<float*>(uintptr_t(0x10));
  kernels::fill_f32_cuda(bogus, 1 << 20, 1.0f, cuda::stream());
  const std::string msg = test::error_of([] { cuda::check_launch("deliberately_bad_fill"); });
  CHECK(test::contains(msg, "deliberately_bad_fill"));
  CHECK(test::contains(msg, "FBD_SYNC"));
}
