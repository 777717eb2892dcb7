// Regression replay of the fuzz harnesses, built in every configuration (gcc or clang, with or
// without the sanitizers) and run by ctest (label unit): each harness's function is called once
// on every file of tests/fuzz/corpus/<target>/ (the seeds) and tests/fuzz/regressions/<target>/
// (inputs that once crashed or hung a reader, kept after the fix). So every finding stays
// tested by the ordinary test suite, without clang or libFuzzer; the mutation itself runs in
// scripts/fuzz.sh (a -DFBD_FUZZ=ON clang build, docs/FUZZING.md).
//
// Why this rather than a ctest that runs the libFuzzer binaries over their corpora: those exist
// only in the clang fuzz build, which CI builds in scripts/fuzz.sh alone; this binary runs in the
// default and sanitizer builds (scripts/test.sh) too.
//
//   fbd_fuzz_replay DIR                 every target over DIR/corpus/<t> and DIR/regressions/<t>
//   fbd_fuzz_replay --target T FILE...  one target over the given files (to reproduce a finding)
//
// Each harness source is compiled with LLVMFuzzerTestOneInput renamed to fbd_fuzz_<target>
// (tests/fuzz/CMakeLists.txt generates the wrappers and the list below).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#define FBD_FUZZ_TARGET(name) extern "C" int fbd_fuzz_##name(const uint8_t*, size_t);
#include "fuzz_targets.inc"
#undef FBD_FUZZ_TARGET

namespace {

struct Target {
  const char* name;
  int (*fn)(const uint8_t*, size_t);
};

const Target kTargets[] = {
#define FBD_FUZZ_TARGET(name) {#name, fbd_fuzz_##name},
#include "fuzz_targets.inc"
#undef FBD_FUZZ_TARGET
};

// Runs one input; false (with a message) when anything escaped the harness.
bool replay(const Target& t, const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    t.fn(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    return true;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FAIL %s %s: %s\n", t.name, file.string().c_str(), e.what());
  } catch (...) {
    std::fprintf(stderr, "FAIL %s %s: a non-standard exception\n", t.name, file.string().c_str());
  }
  return false;
}

std::vector<std::filesystem::path> files_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename().string()[0] != '.') out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "--target") == 0) {
    for (const Target& t : kTargets)
      if (t.name == std::string(argv[2])) {
        bool ok = true;
        for (int i = 3; i < argc; ++i) ok = replay(t, argv[i]) && ok;
        return ok ? 0 : 1;
      }
    std::fprintf(stderr, "fbd_fuzz_replay: unknown target %s\n", argv[2]);
    return 2;
  }
  if (argc != 2) {
    std::fprintf(stderr, "usage: fbd_fuzz_replay DIR | fbd_fuzz_replay --target T FILE...\n");
    return 2;
  }
  const std::filesystem::path root = argv[1];
  int failures = 0;
  for (const Target& t : kTargets) {
    int n = 0;
    for (const char* kind : {"corpus", "regressions"})
      for (const auto& f : files_in(root / kind / t.name)) {
        failures += replay(t, f) ? 0 : 1;
        ++n;
      }
    std::printf("%-12s %d inputs\n", t.name, n);
    if (n == 0) {
      std::fprintf(stderr, "FAIL %s: no seed inputs under %s\n", t.name, (root / "corpus" / t.name).string().c_str());
      ++failures;
    }
  }
  std::printf("%s: %d failure(s)\n", failures ? "FAIL" : "OK", failures);
  return failures ? 1 : 0;
}
