// The exact 3-D EDT (kernels/edt3d_*, losses/edt3d.h) against brute force, SciPy and the 2-D
// transform it extends.
#include <doctest/doctest.h>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "core/npy.h"
#include "kernels/edt3d_kernels.h"
#include "losses/edt.h"
#include "losses/edt3d.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;

namespace {

struct Vol {
  int64_t n, d, h, w;
  int64_t size() const { return n * d * h * w; }
};

// Distance from each voxel to the nearest zero voxel, by trying every zero voxel.
std::vector<float> brute_force_edt3d(const std::vector<uint8_t>& m, const Vol& v, double sz, double sy, double sx) {
  std::vector<float> out(m.size());
  const int64_t vol = v.d * v.h * v.w;
  for (int64_t b = 0; b < v.n; ++b)
    for (int64_t i = 0; i < vol; ++i) {
      const int64_t z = i / (v.h * v.w), y = i / v.w % v.h, x = i % v.w;
      double best = std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < vol; ++j)
        if (m[size_t(b * vol + j)] == 0) {
          const double dz = double(z - j / (v.h * v.w)), dy = double(y - j / v.w % v.h), dx = double(x - j % v.w);
          best = std::min(best, sz * sz * dz * dz + sy * sy * dy * dy + sx * sx * dx * dx);
        }
      out[size_t(b * vol + i)] = float(std::sqrt(best));
    }
  return out;
}

std::vector<uint8_t> random_mask(int64_t size, float density, uint64_t seed) {
  const auto u = test::random_values(size, 0, 1, seed);
  std::vector<uint8_t> m(static_cast<size_t>(size));
  for (size_t i = 0; i < m.size(); ++i) m[i] = u[i] < density;
  return m;
}

Tensor volume(const std::vector<uint8_t>& m, const Vol& v) { return Tensor::from_data(m.data(), {v.n, v.d, v.h, v.w}); }

// Bitwise equality (so +inf == +inf, and -0 != +0), first mismatch reported.
void check_bits(const std::vector<float>& want, const std::vector<float>& got, const std::string& what) {
  REQUIRE_MESSAGE(want.size() == got.size(), what << ": sizes differ");
  for (size_t i = 0; i < want.size(); ++i)
    if (std::memcmp(&want[i], &got[i], sizeof(float)) != 0) {
      FAIL_CHECK(what << ": element " << i << " want " << want[i] << " got " << got[i]);
      return;
    }
}

Tensor load(const std::string& name) { return read_npy(test::fixture("metrics/" + name)); }

// 2 float ulps relative, as the 2-D tests: SciPy and fbd add the scaled squares in different
// orders, so their float64 values may differ in the last bit, which can move the float32 rounding.
constexpr double kAnisoEps = 2.4e-7;

}  // namespace

TEST_CASE("3-D EDT equals brute force on random volumes, unit spacing (exactly)") {
  const Vol v{3, 7, 9, 11};
  for (const float density : {0.1f, 0.5f, 0.95f}) {
    const auto m = random_mask(v.size(), density, uint64_t(density * 100) + 1);
    CHECK(edt3d(volume(m, v)).to_vector() == brute_force_edt3d(m, v, 1, 1, 1));
  }
}

TEST_CASE("3-D EDT with anisotropic spacing equals brute force") {
  const Vol v{2, 6, 8, 10};
  const auto m = random_mask(v.size(), 0.8f, 9);
  struct S {
    float z, y, x;
  };
  for (const S& s : {S{2.0f, 0.7f, 0.7f}, S{0.3f, 1.9f, 5.0f}, S{3000.0f, 0.0004f, 1.0f}, S{0.0004f, 1.0f, 3000.0f}}) {
    INFO("spacing (" << s.z << ", " << s.y << ", " << s.x << ")");
    test::check_close(brute_force_edt3d(m, v, s.z, s.y, s.x), edt3d(volume(m, v), s.z, s.y, s.x).to_vector(), 0, 1e-6,
                      "anisotropic 3-D EDT");
  }
}

TEST_CASE("3-D EDT along a long z axis and in thin volumes equals brute force") {
  for (const Vol& v : {Vol{1, 150, 3, 4}, Vol{2, 1, 1, 40}, Vol{1, 40, 1, 1}, Vol{1, 5, 30, 1}}) {
    INFO(v.n << " x " << v.d << " x " << v.h << " x " << v.w);
    const auto m = random_mask(v.size(), 0.97f, uint64_t(v.d * 100 + v.w));
    CHECK(edt3d(volume(m, v)).to_vector() == brute_force_edt3d(m, v, 1, 1, 1));
    test::check_close(brute_force_edt3d(m, v, 2.0, 0.7, 0.7), edt3d(volume(m, v), 2.0f, 0.7f, 0.7f).to_vector(), 0,
                      1e-6, "long axis, anisotropic");
  }
}

TEST_CASE("3-D EDT: a volume with no zero voxel is +inf, an all-zero one 0, the others unaffected") {
  const Vol v{3, 4, 5, 6};
  auto m = random_mask(v.size(), 0.7f, 4);
  const int64_t vol = v.d * v.h * v.w;
  std::fill(m.begin(), m.begin() + vol, 1);            // volume 0: no zero voxel
  std::fill(m.begin() + vol, m.begin() + 2 * vol, 0);  // volume 1: all zeros
  const auto d = edt3d(volume(m, v), 2.0f, 0.7f, 0.7f).to_vector();
  for (int64_t i = 0; i < vol; ++i) {
    CHECK(std::isinf(d[size_t(i)]));
    CHECK(d[size_t(i)] > 0);
    CHECK(d[size_t(vol + i)] == 0.0f);
  }
  const auto want =
      brute_force_edt3d(std::vector<uint8_t>(m.begin() + 2 * vol, m.end()), {1, v.d, v.h, v.w}, 2.0, 0.7, 0.7);
  test::check_close(want, std::vector<float>(d.begin() + 2 * vol, d.end()), 0, 1e-6, "volume 2");
  const std::vector<uint8_t> one{1};
  CHECK(std::isinf(edt3d(Tensor::from_data(one.data(), {1, 1, 1})).item()));
  CHECK(edt3d(Tensor::zeros({0, 3, 4, 5})).numel() == 0);
}

TEST_CASE("3-D EDT shapes: (D,H,W), (N,D,H,W), (N,1,D,H,W), uint8 and float32 give the same distances") {
  const Vol v{2, 5, 6, 7};
  const auto m = random_mask(v.size(), 0.6f, 12);
  const std::vector<float> want = edt3d(volume(m, v), 1.5f, 1.0f, 0.5f).to_vector();
  const Tensor five = Tensor::from_data(m.data(), {v.n, 1, v.d, v.h, v.w});
  const Tensor d5 = edt3d(five, 1.5f, 1.0f, 0.5f);
  CHECK(d5.shape() == five.shape());
  CHECK(d5.to_vector() == want);
  CHECK(edt3d(five.to_dtype(DType::F32), 1.5f, 1.0f, 0.5f).to_vector() == want);
  const Tensor three = Tensor::from_data(m.data(), {v.d, v.h, v.w});
  const std::vector<float> first(want.begin(), want.begin() + v.d * v.h * v.w);
  CHECK(edt3d(three, 1.5f, 1.0f, 0.5f).to_vector() == first);
}

TEST_CASE("3-D EDT of a one-slice volume (or a one-column one) is the 2-D EDT, bit for bit") {
  const int64_t n = 3, h = 17, w = 23;
  const auto m = random_mask(n * h * w, 0.8f, 21);
  const Tensor img = Tensor::from_data(m.data(), {n, h, w});
  const Tensor vol = Tensor::from_data(m.data(), {n, 1, h, w});  // N volumes of depth 1
  check_bits(edt(img, 0.7f, 1.3f).to_vector(), edt3d(vol, 4.0f, 0.7f, 1.3f).to_vector(), "depth 1");
  check_bits(signed_distance_map(img, 0.7f, 1.3f).to_vector(), signed_distance_map3d(vol, 4.0f, 0.7f, 1.3f).to_vector(),
             "signed, depth 1");
  // (N, D, H, 1): the (D, H) planes with spacing (sz, sy).
  const Tensor col = Tensor::from_data(m.data(), {n, h, w, 1});
  check_bits(edt(img, 2.0f, 0.7f).to_vector(), edt3d(col, 2.0f, 0.7f, 9.0f).to_vector(), "width 1");
}

TEST_CASE("3-D EDT equals SciPy's distance_transform_edt (unit: bit for bit; sampling (2, 0.7, 0.7): 2 ulps)") {
  const Tensor in = load("edt3d_input.npy");
  REQUIRE(in.dtype() == DType::U8);
  REQUIRE(in.shape() == Shape{2, 9, 11, 13});
  check_bits(load("edt3d_unit.npy").to_vector(), edt3d(in).to_vector(), "unit spacing");
  check_bits(load("edt3d_unit.npy").to_vector(), edt3d(in.to_dtype(DType::F32)).to_vector(), "unit spacing, float");
  test::check_close(load("edt3d_aniso.npy").to_vector(), edt3d(in, 2.0f, 0.7f, 0.7f).to_vector(), 0, kAnisoEps,
                    "anisotropic 3-D EDT vs SciPy");
  const Tensor long_z = load("edt3d_longz_input.npy");
  REQUIRE(long_z.size(1) == 200);
  test::check_close(load("edt3d_longz_aniso.npy").to_vector(), edt3d(long_z, 2.0f, 0.7f, 0.7f).to_vector(), 0,
                    kAnisoEps, "long z vs SciPy");
}

TEST_CASE("3-D signed distance map: phi from the brute-force EDTs; empty and full volumes 0") {
  const Vol v{4, 5, 7, 9};
  auto m = random_mask(v.size(), 0.5f, 31);
  const int64_t vol = v.d * v.h * v.w;
  std::fill(m.begin(), m.begin() + vol, 0);            // empty
  std::fill(m.begin() + vol, m.begin() + 2 * vol, 1);  // full
  std::vector<uint8_t> inv(m.size());
  for (size_t i = 0; i < m.size(); ++i) inv[i] = 1 - m[i];
  const double sz = 2.5, sy = 0.75, sx = 0.6;
  const auto to_bg = brute_force_edt3d(m, v, sz, sy, sx), to_fg = brute_force_edt3d(inv, v, sz, sy, sx);
  std::vector<float> want(m.size(), 0.0f);
  for (size_t i = size_t(2 * vol); i < m.size(); ++i) want[i] = m[i] ? float(1.0 - double(to_bg[i])) : to_fg[i];
  std::vector<float> got(m.size());
  kernels::edt3d_cpu(m.data(), got.data(), v.n, v.d, v.h, v.w, sz, sy, sx, kernels::EdtOutput::Signed);
  test::check_close(want, got, 1e-6, 1e-6, "signed 3-D map");
  const Tensor op = signed_distance_map3d(volume(m, v).to_dtype(DType::F32), float(sz), float(sy), float(sx));
  test::check_close(want, op.to_vector(), 1e-6, 1e-6, "signed_distance_map3d op");
}

TEST_CASE("3-D EDT: results do not depend on the thread count") {
  const Vol v{2, 20, 40, 41};  // above the twins' parallel threshold
  const auto m = random_mask(v.size(), 0.9f, 5);
  const int before = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto one = edt3d(volume(m, v), 2.0f, 0.7f, 0.7f).to_vector();
  omp_set_num_threads(3);
  const auto three = edt3d(volume(m, v), 2.0f, 0.7f, 0.7f).to_vector();
  omp_set_num_threads(before);
  check_bits(one, three, "1 vs 3 threads");
}

TEST_CASE("3-D EDT input errors are one-line messages") {
  auto one_line = [](const std::string& e, const std::string& part) {
    CHECK_MESSAGE(test::contains(e, part), e);
    CHECK(e.find('\n') == std::string::npos);
  };
  one_line(test::error_of([] {
             edt3d(Tensor::zeros({4, 4}));
           }),
           "edt3d: expected a shape (D,H,W), (N,D,H,W) or (N,1,D,H,W), got [4, 4]");
  one_line(test::error_of([] { edt3d(Tensor::zeros({2, 2, 3, 4, 5})); }), "edt3d: expected a shape (D,H,W)");
  one_line(test::error_of([] {
             edt3d(Tensor::zeros({2, 3, 4}, DType::I32));
           }),
           "edt3d: expected float32 or uint8, got int32");
  struct S {
    float z, y, x;
  };
  for (const S& s : {S{0.0f, 1.0f, 1.0f}, S{1.0f, -0.5f, 1.0f}, S{1.0f, 1.0f, std::nanf("")},
                     S{std::numeric_limits<float>::infinity(), 1.0f, 1.0f}}) {
    one_line(test::error_of([&] {
               edt3d(Tensor::zeros({2, 3, 4}), s.z, s.y, s.x);
             }),
             "edt3d: voxel spacing must be positive and finite, got (");
  }
  one_line(test::error_of([] {
             signed_distance_map3d(Tensor::full({2, 3, 4}, 0.5f));
           }),
           "signed_distance_map3d: mask values must be 0 or 1, found 0.5");
}
