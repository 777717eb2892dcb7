// Augmentation pipeline JSON (data/pipeline.h AugmentPipeline::from_json_text, which
// from_file and --augment FILE.json call), then the pipeline applied to one small sample:
// a config that loads must also run.
#include "data/pipeline.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  fbd::fuzz::scratch_dir();
  fbd::fuzz::run([&] {
    const fbd::data::AugmentPipeline p = fbd::data::AugmentPipeline::from_json_text(text, "pipeline.json");
    (void)p.describe();
    fbd::data::Sample s;
    s.image = fbd::data::Image(16, 16, 0.5f);
    s.mask = fbd::data::Image(16, 16, 0.0f);
    s.mask.at(8, 8) = 1.0f;
    s.edge = fbd::data::Image(16, 16, 0.0f);
    p.apply(s, 1);
  });
  return 0;
}
