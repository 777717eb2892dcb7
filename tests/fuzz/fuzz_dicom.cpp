// DICOM (data/dicom.h read_dicom_series on one file, single- or multi-frame, through GDCM).
#include "data/dicom.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fbd::fuzz::write_input(data, size, "fuzz.dcm");
  fbd::fuzz::run([&] { (void)fbd::data::read_dicom_series(path); });
  return 0;
}
