// NumPy .npy arrays from memory (core/npy.h parse_npy, which read_npy calls on the file's bytes).
#include "core/npy.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<char> bytes = fbd::fuzz::bytes_of(data, size);
  fbd::fuzz::run([&] {
    const fbd::Tensor t = fbd::parse_npy(bytes, "fuzz.npy");
    // Round trip: what was read must be writable again.
    (void)fbd::encode_npy(t);
  });
  return 0;
}
