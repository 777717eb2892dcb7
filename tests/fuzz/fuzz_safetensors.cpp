// safetensors checkpoints (layers/checkpoint.h load_safetensors, which load_checkpoint calls).
#include <map>

#include "layers/checkpoint.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fbd::fuzz::write_input(data, size, "fuzz.safetensors");
  fbd::fuzz::run([&] {
    std::map<std::string, std::string> metadata;
    (void)fbd::nn::load_safetensors(path, &metadata);
  });
  return 0;
}
