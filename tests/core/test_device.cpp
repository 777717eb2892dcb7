// Device selection: auto, cpu, cuda and the errors for the rest.
#include <doctest/doctest.h>

#include "core/cuda_context.h"
#include "core/device.h"
#include "tests/test_util.h"

using namespace fbd;
using test::contains;
using test::error_of;

TEST_CASE("cpu is always available; auto says what it picked") {
  CHECK(resolve_device("cpu") == Device::cpu());
  std::string note;
  const Device d = resolve_device("auto", &note);
  CHECK(contains(note, "device auto -> " + d.str()));
  std::string why;
  if (!cuda_usable(&why)) {
    CHECK(d == Device::cpu());
    CHECK(contains(note, "no usable CUDA GPU"));
    CHECK(!why.empty());
  } else {
    CHECK(d == Device::cuda(0));
  }
}

TEST_CASE("asking for CUDA without a usable GPU is a one-line error, not a crash") {
  std::string why;
  if (cuda_usable(&why)) {
    CHECK(resolve_device("cuda") == Device::cuda(0));
    return;
  }
  for (const char* spec : {"cuda", "cuda:0", "cuda:1"}) {
    const std::string msg = error_of([&] { resolve_device(spec); });
    CHECK(contains(msg, "requested but no usable CUDA GPU"));
    CHECK(msg.find('\n') == std::string::npos);
  }
  CHECK(contains(error_of([] { cuda::stream(); }), "CUDA"));
}

TEST_CASE("unknown device names are rejected") {
  CHECK(contains(error_of([] { resolve_device("gpu"); }), "unknown device 'gpu'"));
  CHECK(contains(error_of([] { resolve_device("cuda:x"); }), "expected cuda:N"));
  CHECK(contains(error_of([] { resolve_device(""); }), "unknown device"));
}

TEST_CASE("describe_build names the backend") {
  const std::string s = describe_build();
  CHECK((contains(s, "CUDA runtime") || contains(s, "without CUDA")));
}
