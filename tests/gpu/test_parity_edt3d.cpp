// The exact 3-D EDT: CUDA (kernels/edt3d.cu) against the CPU twin (kernels/edt3d_cpu.cpp).
//
// Tolerance: none, bit for bit, for every spacing and both outputs. Both sides run the same
// double arithmetic of kernels/edt3d.cuh (on the device through the _rn intrinsics, never
// contracted into FMA; the twin compiled with -ffp-contract=off) on the same integer codes, so
// equal inputs give equal floats. The CPU tests hold the twin against brute force and SciPy.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "core/npy.h"
#include "kernels/edt3d_kernels.h"
#include "losses/edt3d.h"
#include "tests/gpu/gpu_util.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;

namespace {

struct Vol {
  int64_t n, d, h, w;
  int64_t size() const { return n * d * h * w; }
};

// Bitwise equality (so +inf == +inf and -0 != +0 are judged as bits), first mismatch reported.
void check_bits(const std::vector<float>& cpu, const std::vector<float>& gpu, const std::string& what) {
  REQUIRE_MESSAGE(cpu.size() == gpu.size(), what << ": sizes differ");
  for (size_t i = 0; i < cpu.size(); ++i)
    if (std::memcmp(&cpu[i], &gpu[i], sizeof(float)) != 0) {
      FAIL_CHECK(what << ": element " << i << " cpu " << cpu[i] << " gpu " << gpu[i]);
      return;
    }
}

// A batch of volumes: ellipsoids of random centres and radii over a sprinkle of noise, plus the
// corner cases in the first volumes (when the batch has them): all ones (no zero voxel), all
// zeros, a single zero voxel on a face.
std::vector<uint8_t> test_volumes(const Vol& v, uint64_t seed) {
  const auto u = test::random_values(v.size(), 0, 1, seed);
  const auto c = test::random_values(v.n * 4, 0, 1, seed + 1);
  std::vector<uint8_t> m(static_cast<size_t>(v.size()));
  for (int64_t b = 0; b < v.n; ++b) {
    const double cz = c[size_t(4 * b)] * double(v.d), cy = c[size_t(4 * b + 1)] * double(v.h);
    const double cx = c[size_t(4 * b + 2)] * double(v.w);
    const double r = 1 + c[size_t(4 * b + 3)] * 0.4 * double(std::min({v.d, v.h, v.w}));
    for (int64_t z = 0; z < v.d; ++z)
      for (int64_t y = 0; y < v.h; ++y)
        for (int64_t x = 0; x < v.w; ++x) {
          const size_t i = size_t(((b * v.d + z) * v.h + y) * v.w + x);
          const double dz = double(z) - cz, dy = double(y) - cy, dx = double(x) - cx;
          const bool in = dz * dz + dy * dy + dx * dx <= r * r;
          m[i] = (in != (u[i] < 0.02f)) ? 1 : 0;
          if (b == 0 && v.n > 3) m[i] = 1;
          if (b == 1 && v.n > 3) m[i] = 0;
          if (b == 2 && v.n > 3) m[i] = (z == v.d / 2 && y == 0 && x == v.w - 1) ? 0 : 1;
        }
  }
  return m;
}

}  // namespace

TEST_CASE("EDT 3-D kernels: CUDA equals the CPU twin bit for bit (distance and signed, uint8 and float, spacings)") {
  for (const Vol& v : {Vol{5, 9, 11, 13}, Vol{1, 64, 96, 80}, Vol{4, 300, 5, 7}, Vol{1, 2100, 3, 2},
                       Vol{2, 3, 37, 1100}, Vol{2, 5, 1030, 9}, Vol{1, 1, 1, 1}}) {
    const auto m = test_volumes(v, uint64_t(v.d * 7 + v.h * 3 + v.w));
    const std::vector<float> mf(m.begin(), m.end());
    const Tensor du8 = Tensor::from_data(m.data(), {v.size()}, Device::cuda());
    const Tensor df32 = Tensor::from_vector(mf, {v.size()}, Device::cuda());
    // The workspace between guards too: codes, plane distances and the line stacks, all sized
    // by edt3d_workspace_bytes.
    test::GuardedBuffer ws(int64_t(kernels::edt3d_workspace_bytes(v.n, v.d, v.h, v.w) / 4) + 1);
    struct S {
      double z, y, x;
    };
    for (const S& s : {S{1, 1, 1}, S{2.0, 0.7, 0.7}, S{0.3, 1.9, 5.0}}) {
      for (const auto mode : {kernels::EdtOutput::Distance, kernels::EdtOutput::Signed}) {
        INFO(v.n << "x" << v.d << "x" << v.h << "x" << v.w << " spacing (" << s.z << ", " << s.y << ", " << s.x
                 << ") mode " << int(mode));
        std::vector<float> cpu(static_cast<size_t>(v.size()));
        kernels::edt3d_cpu(mf.data(), cpu.data(), v.n, v.d, v.h, v.w, s.z, s.y, s.x, mode);
        test::GuardedBuffer out(v.size());
        kernels::edt3d_cuda(df32.data<float>(), out.data(), v.n, v.d, v.h, v.w, s.z, s.y, s.x, mode, ws.raw(),
                            cuda::stream());
        cuda::check_launch("edt3d_cuda(float)");
        check_bits(cpu, out.download(), "float input");
        if (mode == kernels::EdtOutput::Distance) {
          test::GuardedBuffer out8(v.size());
          kernels::edt3d_cuda(du8.data<uint8_t>(), out8.data(), v.n, v.d, v.h, v.w, s.z, s.y, s.x, mode, ws.raw(),
                              cuda::stream());
          cuda::check_launch("edt3d_cuda(uint8)");
          check_bits(cpu, out8.download(), "uint8 input");
        }
        ws.check_guards();
      }
    }
  }
}

TEST_CASE("edt3d and signed_distance_map3d ops: CUDA tensors stay on the device and equal the CPU results") {
  const Vol v{3, 20, 45, 70};
  const auto m = test_volumes(v, 11);
  const Tensor host = Tensor::from_data(m.data(), {v.n, 1, v.d, v.h, v.w});
  const Tensor dev = host.cuda();
  const Tensor d = edt3d(dev, 2.0f, 0.7f, 0.7f);
  CHECK(d.is_cuda());
  CHECK(d.shape() == host.shape());
  check_bits(edt3d(host, 2.0f, 0.7f, 0.7f).to_vector(), d.to_vector(), "edt3d op");
  const Tensor phi = signed_distance_map3d(dev.to_dtype(DType::F32), 2.5f, 0.75f, 0.6f);
  CHECK(phi.is_cuda());
  check_bits(signed_distance_map3d(host, 2.5f, 0.75f, 0.6f).to_vector(), phi.to_vector(), "signed 3-D map op");
  // And against the SciPy golden file (unit spacing: the exact distances).
  const Tensor in = read_npy(test::fixture("metrics/edt3d_input.npy"));
  check_bits(read_npy(test::fixture("metrics/edt3d_unit.npy")).to_vector(), edt3d(in.cuda()).to_vector(),
             "edt3d vs SciPy");
}
