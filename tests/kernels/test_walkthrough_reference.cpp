// The CPU references of the kernel walkthroughs (kernels/dev/dice_reference.h, edt_reference.h),
// held to fbd's production CPU twins and to finite differences. The walkthroughs check every
// CUDA version against these references on a GPU; these tests make sure the references
// themselves are right, on every machine.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "kernels/binary_loss_kernels.h"
#include "kernels/dev/dice_reference.h"
#include "kernels/dev/edt_reference.h"
#include "kernels/edt_kernels.h"

using namespace fbd;

namespace {

// A small deterministic generator (splitmix64), so the cases do not depend on the engine.
struct Rng {
  uint64_t s;
  double uniform() {
    uint64_t x = (s += 0x9e3779b97f4a7c15ull);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    x ^= x >> 31;
    return double(x >> 11) * (1.0 / 9007199254740992.0);
  }
};

// N images of H x W: image n is (n mod 5) empty, full, a single pixel, an ellipse, random blobs.
std::vector<uint8_t> make_masks(int64_t N, int64_t H, int64_t W, uint64_t seed) {
  std::vector<uint8_t> m(static_cast<size_t>(N * H * W));
  Rng rng{seed};
  for (int64_t n = 0; n < N; ++n)
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) {
        uint8_t v = 0;
        switch (n % 5) {
          case 0: v = 0; break;
          case 1: v = 1; break;
          case 2: v = (y == H / 2 && x == W / 3) ? 1 : 0; break;
          case 3: {
            const double dy = (y - 0.45 * double(H)) / (0.3 * double(H) + 0.5),
                         dx = (x - 0.55 * double(W)) / (0.35 * double(W) + 0.5);
            v = dy * dy + dx * dx <= 1.0 ? 1 : 0;
            break;
          }
          default: v = rng.uniform() < 0.4 ? 1 : 0; break;
        }
        m[static_cast<size_t>((n * H + y) * W + x)] = v;
      }
  return m;
}

// Logits that roughly follow the target, with a few saturated ones (+-40).
std::vector<float> make_logits(const std::vector<uint8_t>& mask, uint64_t seed) {
  std::vector<float> z(mask.size());
  Rng rng{seed};
  for (size_t i = 0; i < z.size(); ++i) {
    double v = (mask[i] ? 1.5 : -1.5) + 6.0 * (rng.uniform() - 0.5);
    if (rng.uniform() < 0.03) v = rng.uniform() < 0.5 ? -40.0 : 40.0;
    z[i] = float(v);
  }
  return z;
}

struct Shape {
  int64_t N, H, W;
};
// Odd sizes, single rows and columns, 1 x 1 images; N = 5 covers every image kind.
const Shape kShapes[] = {{5, 16, 16}, {5, 7, 9}, {5, 1, 33}, {5, 21, 1}, {2, 1, 1}, {5, 40, 37}};

// |ref - got| <= atol + rtol |ref| everywhere; reports the first failure.
template <typename A, typename B>
void check_near(const std::vector<A>& ref, const std::vector<B>& got, double atol, double rtol,
                const std::string& what) {
  REQUIRE(ref.size() == got.size());
  for (size_t i = 0; i < ref.size(); ++i) {
    const double r = double(ref[i]), g = double(got[i]);
    if (!(std::fabs(r - g) <= atol + rtol * std::fabs(r))) {
      FAIL_CHECK(what << ": element " << i << " reference " << r << " got " << g << " (|diff| " << std::fabs(r - g)
                      << " > " << atol + rtol * std::fabs(r) << ")");
      return;
    }
  }
}

double max_abs(const std::vector<double>& v) {
  double m = 0.0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

}  // namespace

// ---- Dice and the Focal Boundary Dice compound ----------------------------------------------

TEST_CASE("walkthrough Dice reference equals fbd's CPU twin (Dice term alone)") {
  for (const Shape& s : kShapes) {
    CAPTURE(s.N);
    CAPTURE(s.H);
    CAPTURE(s.W);
    const int64_t HW = s.H * s.W, P = s.N * HW;
    const std::vector<uint8_t> m = make_masks(s.N, s.H, s.W, 7);
    const std::vector<float> g(m.begin(), m.end()), z = make_logits(m, 11);

    std::vector<double> ref_dz(static_cast<size_t>(P));
    const double ref = dev::dice_reference(z.data(), g.data(), s.N, HW, ref_dz.data(), 1e-5);

    kernels::BinaryLossParams prm;
    prm.terms = kernels::kBinaryDice;
    prm.w_dice = 1.0f;
    prm.eps_num = prm.eps_den = 1e-5f;
    std::vector<float> sums(static_cast<size_t>((s.N + 1) * kernels::kBinaryStats)), dz(static_cast<size_t>(P));
    float value = 0.0f;
    const float grad_out = 1.0f;
    kernels::binary_loss_forward_cpu(z.data(), g.data(), nullptr, s.N, HW, prm, sums.data(), &value);
    kernels::binary_loss_backward_cpu(z.data(), g.data(), nullptr, s.N, HW, prm, sums.data(), &grad_out, dz.data());

    // fbd works in float (per-pixel terms, per-image sums rounded to float, float coefficients):
    // a few float roundings away from the double reference (measured: below a tenth of these).
    CHECK(std::fabs(ref - double(value)) <= 1e-7 + 1e-6 * std::fabs(ref));
    check_near(ref_dz, dz, 1e-7 * max_abs(ref_dz), 1e-5, "Dice gradient");
  }
}

TEST_CASE("walkthrough Dice reference: hand-computed value and gradient") {
  // One image of two pixels: z = 0 (p = 1/2) on the target, z = log 3 (p = 3/4) off it.
  // I = 1/2, P = 5/4, G = 1, D = 9/4 + eps, L = 1 - (1 + eps) / D.
  const double eps = 1e-5;
  const std::vector<double> z = {0.0, std::log(3.0)}, g = {1.0, 0.0};
  std::vector<double> dz(2);
  const double L = dev::dice_reference(z.data(), g.data(), 1, 2, dz.data(), eps);
  const double D = 2.25 + eps;
  CHECK(L == doctest::Approx(1.0 - (1.0 + eps) / D).epsilon(1e-14));
  // dL/dz_i = -(2 g_i / D - (2 I + eps) / D^2) p_i (1 - p_i)
  CHECK(dz[0] == doctest::Approx(-(2.0 / D - (1.0 + eps) / (D * D)) * 0.25).epsilon(1e-12));
  CHECK(dz[1] == doctest::Approx((1.0 + eps) / (D * D) * 0.1875).epsilon(1e-12));
}

TEST_CASE("walkthrough Dice and compound references: gradients match finite differences") {
  const int64_t N = 5, H = 4, W = 5, HW = H * W, P = N * HW;
  const std::vector<uint8_t> m = make_masks(N, H, W, 3);
  const std::vector<float> zf = make_logits(m, 5);
  std::vector<double> z(zf.begin(), zf.end()), g(m.begin(), m.end()), phi(static_cast<size_t>(P));
  for (double& v : z) v = std::clamp(v, -8.0, 8.0);  // finite differences want curvature, not saturation
  for (int64_t i = 0; i < P; ++i) phi[size_t(i)] = double((i * 7) % 11) - 5.0;  // any values will do
  const dev::CompoundParams prm{};

  std::vector<double> an_dice(static_cast<size_t>(P)), an_fbd(static_cast<size_t>(P));
  dev::dice_reference(z.data(), g.data(), N, HW, an_dice.data(), 1e-5);
  dev::focal_boundary_dice_reference(z.data(), g.data(), phi.data(), N, HW, prm, an_fbd.data());
  std::vector<double> fd_dice(static_cast<size_t>(P)), fd_fbd(static_cast<size_t>(P));
  const double h = 1e-6;
  double* none = nullptr;
  for (int64_t i = 0; i < P; ++i) {
    const double keep = z[size_t(i)];
    z[size_t(i)] = keep + h;
    const double dp = dev::dice_reference(z.data(), g.data(), N, HW, none, 1e-5);
    const double fp = dev::focal_boundary_dice_reference(z.data(), g.data(), phi.data(), N, HW, prm, none);
    z[size_t(i)] = keep - h;
    const double dm = dev::dice_reference(z.data(), g.data(), N, HW, none, 1e-5);
    const double fm = dev::focal_boundary_dice_reference(z.data(), g.data(), phi.data(), N, HW, prm, none);
    z[size_t(i)] = keep;
    fd_dice[size_t(i)] = (dp - dm) / (2.0 * h);
    fd_fbd[size_t(i)] = (fp - fm) / (2.0 * h);
  }
  check_near(fd_dice, an_dice, 1e-7 * max_abs(fd_dice), 1e-5, "Dice gradient vs finite differences");
  check_near(fd_fbd, an_fbd, 1e-7 * max_abs(fd_fbd), 1e-5, "compound gradient vs finite differences");
}

TEST_CASE("walkthrough compound reference equals fbd's fused CPU twin (Focal Boundary Dice)") {
  for (const Shape& s : kShapes) {
    CAPTURE(s.N);
    CAPTURE(s.H);
    CAPTURE(s.W);
    const int64_t HW = s.H * s.W, P = s.N * HW;
    const std::vector<uint8_t> m = make_masks(s.N, s.H, s.W, 13);
    const std::vector<float> g(m.begin(), m.end()), z = make_logits(m, 17);
    std::vector<float> phi(static_cast<size_t>(P));
    kernels::edt_cpu(g.data(), phi.data(), s.N, s.H, s.W, 1.0f, 1.0f, kernels::EdtOutput::Signed);

    std::vector<double> ref_dz(static_cast<size_t>(P));
    const dev::CompoundParams cp{};  // 0.5 Dice + 0.3 focal (gamma 2, alpha 0.25) + 0.2 boundary
    const double ref = dev::focal_boundary_dice_reference(z.data(), g.data(), phi.data(), s.N, HW, cp, ref_dz.data());

    kernels::BinaryLossParams prm;  // fbd's defaults are the paper's compound
    prm.terms = kernels::kBinaryFbd;
    prm.w_dice = float(cp.w_dice);
    prm.w_focal = float(cp.w_focal);
    prm.w_bce = 0.0f;
    prm.w_bd = float(cp.w_bd);
    prm.gamma = float(cp.gamma);
    prm.alpha = float(cp.alpha);
    prm.eps_num = prm.eps_den = float(cp.eps);
    std::vector<float> sums(static_cast<size_t>((s.N + 1) * kernels::kBinaryStats)), dz(static_cast<size_t>(P));
    float value = 0.0f;
    const float grad_out = 1.0f;
    kernels::binary_loss_forward_cpu(z.data(), g.data(), phi.data(), s.N, HW, prm, sums.data(), &value);
    kernels::binary_loss_backward_cpu(z.data(), g.data(), phi.data(), s.N, HW, prm, sums.data(), &grad_out, dz.data());

    CHECK(std::fabs(ref - double(value)) <= 1e-7 + 1e-6 * std::fabs(ref));
    check_near(ref_dz, dz, 1e-7 * max_abs(ref_dz), 1e-5, "compound gradient");
  }
}

// ---- the exact EDT ---------------------------------------------------------------------------

namespace {

// Unit spacing: bit-for-bit equality (+inf included). Otherwise within `ulps` float ulps.
void check_edt(const std::vector<float>& ref, const std::vector<float>& got, int ulps, const std::string& what) {
  REQUIRE(ref.size() == got.size());
  for (size_t i = 0; i < ref.size(); ++i) {
    bool ok = ref[i] == got[i];
    if (!ok && ulps > 0 && std::isfinite(ref[i]) && std::isfinite(got[i])) {
      const float gap = std::nextafter(std::fabs(ref[i]), std::numeric_limits<float>::infinity()) - std::fabs(ref[i]);
      ok = std::fabs(double(ref[i]) - double(got[i])) <= ulps * double(gap);
    }
    if (!ok) {
      FAIL_CHECK(what << ": element " << i << " reference " << ref[i] << " got " << got[i]);
      return;
    }
  }
}

}  // namespace

TEST_CASE("walkthrough EDT references equal fbd's CPU twin") {
  const float spacings[][2] = {{1.0f, 1.0f}, {1.7f, 0.6f}, {0.5f, 3.25f}};
  for (const Shape& s : kShapes)
    for (const auto& sp : spacings) {
      CAPTURE(s.N);
      CAPTURE(s.H);
      CAPTURE(s.W);
      CAPTURE(sp[0]);
      CAPTURE(sp[1]);
      const size_t P = static_cast<size_t>(s.N * s.H * s.W);
      // Distances are to the zero pixels; flip the masks too, so "a single zero pixel in a full
      // image" and "no zero pixel at all" (+inf everywhere) are covered.
      for (int flip = 0; flip < 2; ++flip) {
        std::vector<uint8_t> m = make_masks(s.N, s.H, s.W, 19);
        if (flip)
          for (uint8_t& v : m) v = v ? 0 : 1;
        std::vector<float> brute(P), sep(P), fbd_twin(P);
        dev::edt_brute_force(m.data(), brute.data(), s.N, s.H, s.W, sp[0], sp[1]);
        dev::edt_separable(m.data(), sep.data(), s.N, s.H, s.W, sp[0], sp[1]);
        kernels::edt_cpu(m.data(), fbd_twin.data(), s.N, s.H, s.W, sp[0], sp[1], kernels::EdtOutput::Distance);
        const bool unit = sp[0] == 1.0f && sp[1] == 1.0f;
        // Unit spacing: every squared distance is an exact integer, so all three agree bit for
        // bit. Anisotropic: the products round, differently ordered: 2 ulps (as fbd vs SciPy).
        check_edt(brute, sep, unit ? 0 : 2, "separable vs brute force");
        check_edt(brute, fbd_twin, unit ? 0 : 2, "fbd edt_cpu vs brute force");
      }
    }
}

TEST_CASE("walkthrough EDT references: hand-computed distances") {
  const float inf = std::numeric_limits<float>::infinity();
  for (int which = 0; which < 2; ++which) {
    auto edt = [&](const std::vector<uint8_t>& m, int64_t N, int64_t H, int64_t W, float sy, float sx) {
      std::vector<float> out(m.size());
      if (which == 0)
        dev::edt_brute_force(m.data(), out.data(), N, H, W, sy, sx);
      else
        dev::edt_separable(m.data(), out.data(), N, H, W, sy, sx);
      return out;
    };
    CAPTURE(which);
    // A row: distances to the one zero pixel, and to the nearer of two.
    CHECK(edt({1, 1, 0, 1, 1, 1}, 1, 1, 6, 1.0f, 1.0f) == std::vector<float>{2, 1, 0, 1, 2, 3});
    CHECK(edt({0, 1, 1, 1, 1, 0}, 1, 1, 6, 1.0f, 1.0f) == std::vector<float>{0, 1, 2, 2, 1, 0});
    // 3 x 3, zero in the centre, spacing (2, 1): edges 2 (vertical) and 1 (horizontal), corners sqrt 5.
    const float r5 = float(std::sqrt(5.0));
    CHECK(edt({1, 1, 1, 1, 0, 1, 1, 1, 1}, 1, 3, 3, 2.0f, 1.0f) == std::vector<float>{r5, 2, r5, 1, 0, 1, r5, 2, r5});
    // No zero pixel: +inf everywhere; all zero: 0 everywhere; two images kept apart. (The
    // expected vector is filled at run time: GCC 12.2 with -mavx512f compiles the literal
    // std::vector<float>{c, c, c, c, 0, 0, 0, 0} into eight copies of c.)
    std::vector<float> two_images(8, 0.0f);
    std::fill_n(two_images.begin(), 4, inf);
    CHECK(edt({1, 1, 1, 1, 0, 0, 0, 0}, 2, 2, 2, 1.0f, 1.0f) == two_images);
    // 1 x 1 images.
    CHECK(edt({1, 0}, 2, 1, 1, 1.0f, 1.0f) == std::vector<float>{inf, 0});
  }
}
