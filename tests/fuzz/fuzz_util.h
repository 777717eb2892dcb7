// Shared by the fuzz harnesses (tests/fuzz/fuzz_*.cpp, docs/FUZZING.md).
//
// Each harness hands one input to one of fbd's file readers. A one-line fbd::Error is the
// expected answer to a bad input, so run() swallows it; anything else is a finding: a crash or
// a sanitizer report, any other exception (it escapes the harness and aborts the process), a
// hang, or an allocation over libFuzzer's -malloc_limit_mb.
//
// File-based readers get the input written to a file in a scratch folder of this process (under
// TMPDIR), with the name the reader expects. The size limits fbd reads from the environment are
// lowered here (FBD_MAX_PIXELS, FBD_MAX_VOXELS: 2^22) so that a header that declares a large but
// allowed image is refused instead of being allocated: the fuzzer then checks that the limits
// hold, within its 1 GiB allocation limit.
#pragma once
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"

// Each harness defines this (libFuzzer's entry point; tests/fuzz/replay_main.cpp renames it).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace fbd::fuzz {

inline constexpr const char* kMaxPixels = "4194304";  // 2^22 pixels (2048 x 2048)
inline constexpr const char* kMaxVoxels = "4194304";  // 2^22 voxels

// The scratch folder, made (and the limits set) on first use, removed at a normal exit.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    setenv("FBD_MAX_PIXELS", kMaxPixels, 1);
    setenv("FBD_MAX_VOXELS", kMaxVoxels, 1);
    const std::filesystem::path d = std::filesystem::temp_directory_path() / ("fbd-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    static const std::filesystem::path to_remove = d;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(to_remove, ec);
    });
    return d;
  }();
  return dir;
}

inline void write_bytes(const std::filesystem::path& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), std::streamsize(size));
}

// The input as the file `name` in the scratch folder; returns its path.
inline std::string write_input(const uint8_t* data, size_t size, const std::string& name) {
  const std::filesystem::path p = scratch_dir() / name;
  write_bytes(p, data, size);
  return p.string();
}

inline std::vector<char> bytes_of(const uint8_t* data, size_t size) {
  scratch_dir();  // sets the limits
  return std::vector<char>(reinterpret_cast<const char*>(data), reinterpret_cast<const char*>(data) + size);
}

// Runs f; an fbd::Error (bad input, refused with a message) is the expected outcome.
template <class F>
void run(F&& f) {
  try {
    f();
  } catch (const fbd::Error&) {
  }
}

}  // namespace fbd::fuzz
