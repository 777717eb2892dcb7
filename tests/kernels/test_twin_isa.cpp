// The EDT and the Hausdorff values (HD, HD95, pooled HD95) do not depend on the instruction set
// the CPU twins were compiled for. The GPU tests compare them with CUDA bit for bit
// (tests/gpu/test_parity_edt_metrics.cpp), which holds only if no compiler fuses a * b + c
// into an FMA on its own: GCC does so in C++ wherever the target has FMA (-march=native).
//
// How: kernels/CMakeLists.txt compiles edt_cpu.cpp and metrics_cpu.cpp a second time for plain
// x86-64 (no FMA), with the namespace renamed to fbd::kernels_x86_64. This test runs both
// builds on the same masks, with unit and anisotropic spacings, and compares every output bit
// for bit.
//  - The Hausdorff values are doubles: when the metric twin contracts (metrics_cpu.cpp without
//    -ffp-contract=off and metrics_lerp without its explicit fma()), a few of them differ in
//    the last bit and the second case fails.
//  - The EDT's output is a float: a contracted sx^2 dx^2 + sy^2 h^2 is at most one double ulp
//    off, which the rounding to float after the square root absorbs (no difference in 26
//    million (spacing, dy, dx) triples tried), so the first case guards the rest of the
//    envelope arithmetic more than the FMA itself.
// Where the main build has no FMA itself (FBD_NATIVE=OFF) the two builds are the same code and
// the comparison proves nothing; the test says so.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <iomanip>
#include <string>
#include <vector>

#include "kernels/edt_kernels.h"
#include "kernels/metrics_kernels.h"
#include "tests/test_util.h"

#if defined(__x86_64__)

// The second build's entry points: the same declarations as kernels/edt_kernels.h and
// kernels/metrics_kernels.h, in the renamed namespace. A signature that drifts from the headers
// is a link error (the parameter types are part of the symbol names).
namespace fbd::kernels_x86_64 {
enum class EdtOutput : int { Distance = 0, Signed = 1 };
void edt_cpu(const uint8_t* input, float* out, int64_t batch, int64_t height, int64_t width, float spacing_y,
             float spacing_x, EdtOutput mode);
void metrics_hausdorff_cpu(const uint8_t* pred_not_edge, const uint8_t* target_not_edge,
                           const float* dist_to_target_edge, const float* dist_to_pred_edge, const int64_t* counts,
                           double* hd, int64_t batch, int64_t plane, double q);
}  // namespace fbd::kernels_x86_64

static_assert(int(fbd::kernels_x86_64::EdtOutput::Distance) == int(fbd::kernels::EdtOutput::Distance));
static_assert(int(fbd::kernels_x86_64::EdtOutput::Signed) == int(fbd::kernels::EdtOutput::Signed));

using namespace fbd;

namespace {

// Masks of n images: ellipses of random centres and axes over a sprinkle of noise, plus the
// corner cases in the first images (all ones, all zeros, one zero pixel).
std::vector<uint8_t> masks(int64_t n, int64_t h, int64_t w, uint64_t seed) {
  const auto u = test::random_values(n * h * w, 0, 1, seed);
  const auto c = test::random_values(n * 4, 0, 1, seed + 1);
  std::vector<uint8_t> m(size_t(n * h * w));
  for (int64_t b = 0; b < n; ++b) {
    const double cy = c[size_t(4 * b)] * double(h), cx = c[size_t(4 * b + 1)] * double(w);
    const double ry = 1 + c[size_t(4 * b + 2)] * 0.45 * double(h), rx = 1 + c[size_t(4 * b + 3)] * 0.45 * double(w);
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        const size_t i = size_t((b * h + y) * w + x);
        const double dy = (double(y) - cy) / ry, dx = (double(x) - cx) / rx;
        m[i] = ((dy * dy + dx * dx <= 1.0) != (u[i] < 0.03f)) ? 1 : 0;
        if (b == 0) m[i] = 1;
        if (b == 1) m[i] = 0;
        if (b == 2) m[i] = (y == h / 2 && x == w - 1) ? 0 : 1;
      }
  }
  return m;
}

template <typename T>
size_t first_difference(const std::vector<T>& a, const std::vector<T>& b) {
  for (size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(T)) != 0) return i;
  return a.size();
}

struct Spacing {
  float y, x;
};
// Unit spacing (exact integers, where contraction cannot matter) and anisotropic ones (where
// it does).
constexpr Spacing kSpacings[] = {{1.0f, 1.0f}, {2.5f, 0.7f}, {0.3f, 1.9f}, {1.0f / 3.0f, 0.9f}, {0.77f, 3.1f}};

}  // namespace

TEST_CASE("EDT: the x86-64 build of the CPU twin equals the native build bit for bit") {
#if !defined(__FMA__)
  MESSAGE("this build's twins use no FMA (FBD_NATIVE=OFF or no FMA on this machine): both builds are the same code");
#endif
  struct Case {
    int64_t n, h, w;
  };
  for (const Case& c : {Case{8, 96, 80}, Case{4, 37, 300}, Case{3, 200, 9}, Case{3, 1, 1}}) {
    const auto m = masks(c.n, c.h, c.w, uint64_t(c.h * 31 + c.w));
    const size_t total = m.size();
    for (const Spacing& s : kSpacings)
      for (const auto mode : {kernels::EdtOutput::Distance, kernels::EdtOutput::Signed}) {
        INFO(c.n << "x" << c.h << "x" << c.w << " spacing (" << s.y << ", " << s.x << ") mode " << int(mode));
        std::vector<float> native(total), portable(total);
        kernels::edt_cpu(m.data(), native.data(), c.n, c.h, c.w, s.y, s.x, mode);
        kernels_x86_64::edt_cpu(m.data(), portable.data(), c.n, c.h, c.w, s.y, s.x,
                                kernels_x86_64::EdtOutput(int(mode)));
        const size_t i = first_difference(native, portable);
        CHECK_MESSAGE(i == total, "element " << i << ": native " << (i < total ? native[i] : 0.0f) << ", x86-64 "
                                             << (i < total ? portable[i] : 0.0f));
      }
  }
}

TEST_CASE("HD, HD95 and pooled HD95: the x86-64 build of the metric twin equals the native build bit for bit") {
  const int64_t n = 32, h = 64, w = 72, plane = h * w, total = n * plane;
  const auto pred = masks(n, h, w, 101), target = masks(n, h, w, 202);
  // Boundaries, bands and counts are integer work; the native twin serves both builds.
  const int64_t d = 2;
  std::vector<uint8_t> pne(static_cast<size_t>(total)), gne(static_cast<size_t>(total)),
      pband(static_cast<size_t>(total)), gband(static_cast<size_t>(total)), rows(static_cast<size_t>(total));
  kernels::metrics_masks_cpu(pred.data(), pne.data(), pband.data(), rows.data(), n, h, w, d);
  kernels::metrics_masks_cpu(target.data(), gne.data(), gband.data(), rows.data(), n, h, w, d);
  std::vector<int64_t> counts(size_t(n * kernels::kNumCounts));
  kernels::metrics_counts_cpu(pred.data(), target.data(), pne.data(), gne.data(), pband.data(), gband.data(),
                              counts.data(), n, plane);
  int64_t measured = 0;
  for (int64_t i = 0; i < n; ++i)
    measured += counts[size_t(i * kernels::kNumCounts + kernels::kEdgeP)] > 0 &&
                counts[size_t(i * kernels::kNumCounts + kernels::kEdgeG)] > 0;
  REQUIRE(measured >= n - 3);  // every image but the corner cases has both boundaries
  for (const Spacing& s : kSpacings)
    for (const double q : {95.0, 50.0, 99.0, 90.0, 75.0, 63.3, 97.5, 12.5, 99.9}) {
      INFO("spacing (" << s.y << ", " << s.x << ") percentile " << q);
      // Each build computes its own distances and its own Hausdorff values from them.
      std::vector<float> to_p[2], to_g[2];
      std::vector<double> hd[2];
      for (int b = 0; b < 2; ++b) {
        to_p[b].resize(size_t(total));
        to_g[b].resize(size_t(total));
        hd[b].assign(size_t(n * kernels::kNumHausdorff), -1.0);
        if (b == 0) {
          kernels::edt_cpu(pne.data(), to_p[b].data(), n, h, w, s.y, s.x, kernels::EdtOutput::Distance);
          kernels::edt_cpu(gne.data(), to_g[b].data(), n, h, w, s.y, s.x, kernels::EdtOutput::Distance);
          kernels::metrics_hausdorff_cpu(pne.data(), gne.data(), to_g[b].data(), to_p[b].data(), counts.data(),
                                         hd[b].data(), n, plane, q);
        } else {
          const auto mode = kernels_x86_64::EdtOutput::Distance;
          kernels_x86_64::edt_cpu(pne.data(), to_p[b].data(), n, h, w, s.y, s.x, mode);
          kernels_x86_64::edt_cpu(gne.data(), to_g[b].data(), n, h, w, s.y, s.x, mode);
          kernels_x86_64::metrics_hausdorff_cpu(pne.data(), gne.data(), to_g[b].data(), to_p[b].data(), counts.data(),
                                                hd[b].data(), n, plane, q);
        }
      }
      CHECK(first_difference(to_p[0], to_p[1]) == size_t(total));
      CHECK(first_difference(to_g[0], to_g[1]) == size_t(total));
      const size_t i = first_difference(hd[0], hd[1]);
      CHECK_MESSAGE(i == hd[0].size(), std::setprecision(17) << "image " << i / kernels::kNumHausdorff << " value "
                                                             << i % kernels::kNumHausdorff << ": native "
                                                             << (i < hd[0].size() ? hd[0][i] : 0.0) << ", x86-64 "
                                                             << (i < hd[1].size() ? hd[1][i] : 0.0));
    }
}

#endif  // __x86_64__
