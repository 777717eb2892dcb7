// Entry point of the GPU test binaries: exit 77 (ctest reports SKIPPED) with the reason when
// no usable GPU is present, never a silent pass. With FBD_REQUIRE_GPU=1 (scripts/gpu-check.sh
// sets it) a missing or unusable GPU is a failure instead, exit 1 with the same reason: on the
// machine that exists to run these tests, a skip would hide that nothing ran.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/cuda_context.h"
#include "core/device.h"

namespace {

// doctest options that only list or count the test cases (to check a -tc filter on a machine
// without a GPU, as scripts/gpu-check.sh's filters are): these run no test, so no GPU is needed.
bool lists_only(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--dt-", 0) == 0) a = "--" + a.substr(5);
    if (a.rfind("-dt-", 0) == 0) a = "-" + a.substr(4);
    for (const char* o : {"-ltc", "--list-test-cases", "-lts", "--list-test-suites", "-c", "--count", "-h", "--help",
                          "-?", "-v", "--version"})
      if (a == o || a.rfind(std::string(o) + "=", 0) == 0) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (lists_only(argc, argv)) {
    doctest::Context context(argc, argv);
    return context.run();
  }
  std::string why;
  if (!fbd::cuda_usable(&why)) {
    const char* require = std::getenv("FBD_REQUIRE_GPU");
    if (require != nullptr && std::string(require) == "1") {
      std::fprintf(stderr, "error: FBD_REQUIRE_GPU=1 but no usable CUDA GPU: %s\n", why.c_str());
      return 1;
    }
    std::printf("SKIPPED: the GPU tests need a usable CUDA GPU: %s\n", why.c_str());
    return 77;
  }
  std::printf("GPU tests on cuda:0 = %s\n", fbd::cuda::device_name(0).c_str());
  doctest::Context context(argc, argv);
  return context.run();
}
