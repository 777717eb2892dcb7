// NIfTI-1 and NIfTI-2 volumes (data/nifti.h read_nifti_header, read_nifti), which read files
// only. The input is tried three ways: as x.nii; gzip-compressed by the harness as x.nii.gz
// (so that the mutations reach the header and voxels inside a valid gzip stream); and as it is
// under a .nii.gz name (a damaged or truncated gzip stream, or none at all).
#include <zlib.h>

#include "data/nifti.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

void read_both(const std::string& path) {
  fbd::fuzz::run([&] { (void)fbd::data::read_nifti_header(path); });
  fbd::fuzz::run([&] { (void)fbd::data::read_nifti(path); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  read_both(fbd::fuzz::write_input(data, size, "fuzz.nii"));

  const std::string gz = (fbd::fuzz::scratch_dir() / "fuzz_zipped.nii.gz").string();
  if (gzFile f = gzopen(gz.c_str(), "wb1")) {
    if (size > 0) gzwrite(f, data, unsigned(size));
    gzclose(f);
    read_both(gz);
  }

  read_both(fbd::fuzz::write_input(data, size, "fuzz_raw.nii.gz"));
  return 0;
}
