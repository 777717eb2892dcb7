// PNG and JPEG images from memory (data/image_io.h decode_image, which read_raw_image calls
// on the file's bytes), then the mask checks a mask file goes through.
#include "data/image_io.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<char> bytes = fbd::fuzz::bytes_of(data, size);
  fbd::fuzz::run([&] {
    const fbd::data::RawImage raw = fbd::data::decode_image(bytes, "fuzz.png");
    (void)fbd::data::mask_value_problem(raw);
    (void)fbd::data::mask_from_raw(raw, "fuzz.png");
  });
  return 0;
}
