// A run's config.json (apps/train/run_config.h run_config_from_json, which load_run_config
// calls on RUN/config.json's text), then the JSON it would be saved as.
#include "apps/train/run_config.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  fbd::fuzz::scratch_dir();
  fbd::fuzz::run([&] {
    const fbd::app::RunConfig c = fbd::app::run_config_from_json(text, "config.json");
    (void)fbd::app::to_json(c);
  });
  return 0;
}
