// Data set manifests (data/dataset.h scan_dataset on a folder whose manifest.csv is the input).
// The folder also holds a valid image and mask (a.png, a_mask.png) and a volume and its mask
// (v.nii.gz, v_mask.nii.gz) for rows to point at.
#include <filesystem>

#include "data/dataset.h"
#include "data/image_io.h"
#include "data/nifti.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

const std::filesystem::path& data_set_dir() {
  static const std::filesystem::path dir = [] {
    const std::filesystem::path d = fbd::fuzz::scratch_dir() / "manifest_set";
    std::filesystem::create_directories(d);
    fbd::data::Image img(4, 5, 0.25f), mask(4, 5, 0.0f);
    mask.at(1, 2) = 1.0f;
    fbd::data::write_png((d / "a.png").string(), img);
    fbd::data::write_mask_png((d / "a_mask.png").string(), mask);
    fbd::data::Volume v;
    v.nx = 4, v.ny = 3, v.nz = 2;
    v.voxels.assign(4 * 3 * 2, 100.0f);
    fbd::data::set_space_from_affine(v);
    fbd::data::write_nifti((d / "v.nii.gz").string(), v, fbd::data::NiftiDtype::Int16);
    std::vector<uint8_t> vmask(4 * 3 * 2, 0);
    vmask[5] = 1;
    fbd::data::write_nifti_mask((d / "v_mask.nii.gz").string(), vmask, v);
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path& dir = data_set_dir();
  fbd::fuzz::write_bytes(dir / "manifest.csv", data, size);
  fbd::fuzz::run([&] {
    const fbd::data::Dataset ds = fbd::data::scan_dataset(dir.string());
    (void)ds.patients();
  });
  return 0;
}
