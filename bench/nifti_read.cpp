// NIfTI reading: read_nifti on the file named by FBD_BENCH_NIFTI (bench/compare_nibabel.py makes
// a 512 x 512 x 160 int16 .nii.gz in /tmp and times nibabel on the same file). Without the
// variable the case reports an error and does nothing. One read is whole: header, gzip
// inflation, int16 -> float32 and the NaN scan; bytes are the file's uncompressed voxel bytes.
#include <cstdlib>
#include <string>

#include "bench/bench_common.h"
#include "data/nifti.h"

namespace fbd::bench {
namespace {

void BM_read_nifti(benchmark::State& state) {
  const char* path = std::getenv("FBD_BENCH_NIFTI");
  if (!path) {
    state.SkipWithError("set FBD_BENCH_NIFTI to a .nii(.gz) file (bench/compare_nibabel.py does)");
    for (auto _ : state) {
    }
    return;
  }
  const data::Volume header = data::read_nifti_header(path);
  const double bytes = double(header.voxels_per_channel() * header.channels) * 2;  // int16 in the bench file
  state.SetLabel(header.shape_str());
  run_cpu(state, bytes, [&] { benchmark::DoNotOptimize(data::read_nifti(path).voxels.data()); });
}

void register_nifti() {
  benchmark::RegisterBenchmark("cpu/read_nifti", BM_read_nifti)->UseRealTime()->Unit(benchmark::kMillisecond);
}

const BenchRegistrar registrar(false, register_nifti);
}  // namespace

}  // namespace fbd::bench
