// Entry point of the GPU test binaries: exit 77 (ctest reports SKIPPED) with the reason when
// no usable GPU is present, never a silent pass.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "core/cuda_context.h"
#include "core/device.h"

int main(int argc, char** argv) {
  std::string why;
  if (!fbd::cuda_usable(&why)) {
    std::printf("SKIPPED: the GPU tests need a usable CUDA GPU: %s\n", why.c_str());
    return 77;
  }
  std::printf("GPU tests on cuda:0 = %s\n", fbd::cuda::device_name(0).c_str());
  doctest::Context context(argc, argv);
  return context.run();
}
