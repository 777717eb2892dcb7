// The phantom's anatomy and its rendering, slice by slice (see phantom.h).
#include "data/phantom.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <numbers>
#include <thread>

#include "core/error.h"
#include "data/augment.h"
#include "data/random.h"

namespace fbd::data {

namespace {

constexpr double kPi = std::numbers::pi;

// ---- value noise: smooth random texture, a pure function of (key, x, y, z) ----

uint64_t mix64(uint64_t z) {  // the splitmix64 finaliser
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

float lattice(uint64_t key, int64_t ix, int64_t iy, int64_t iz) {
  const uint64_t h = mix64(key ^ mix64(uint64_t(ix) * 0x9E3779B97F4A7C15ull ^ uint64_t(iy) * 0xC2B2AE3D27D4EB4Full ^
                                       uint64_t(iz) * 0x165667B19E3779F9ull));
  return float(h >> 40) * (2.0f / 16777216.0f) - 1.0f;  // [-1, 1)
}

float smooth(float t) { return t * t * (3.0f - 2.0f * t); }

// Trilinear interpolation of lattice values with smoothstep weights: in [-1, 1].
float value_noise(uint64_t key, double x, double y, double z) {
  const double fx = std::floor(x), fy = std::floor(y), fz = std::floor(z);
  const int64_t ix = int64_t(fx), iy = int64_t(fy), iz = int64_t(fz);
  const float tx = smooth(float(x - fx)), ty = smooth(float(y - fy)), tz = smooth(float(z - fz));
  float c[2];
  for (int k = 0; k < 2; ++k) {
    const float a = lattice(key, ix, iy, iz + k), b = lattice(key, ix + 1, iy, iz + k);
    const float d = lattice(key, ix, iy + 1, iz + k), e = lattice(key, ix + 1, iy + 1, iz + k);
    const float top = a + tx * (b - a), bottom = d + tx * (e - d);
    c[k] = top + ty * (bottom - top);
  }
  return c[0] + tz * (c[1] - c[0]);
}

// Fractal sum of `octaves` octaves, the first with cells of `cell` units; about [-1, 1].
float fbm(uint64_t key, double x, double y, double z, double cell, int octaves) {
  float sum = 0.0f, amp = 1.0f, norm = 0.0f;
  for (int o = 0; o < octaves; ++o) {
    sum += amp * value_noise(key + uint64_t(o) * 0x1234567ull, x / cell, y / cell, z / cell);
    norm += amp;
    amp *= 0.55f;
    cell *= 0.5;
  }
  return sum / norm;
}

double smoothstep(double e0, double e1, double x) {
  const double t = std::clamp((x - e0) / (e1 - e0), 0.0, 1.0);
  return t * t * (3.0 - 2.0 * t);
}

// ---- the patient model ----

struct Breast {
  double bx, rw, rh;  // centre column, half width, height (pixels)
};

struct Spicule {
  double angle, length, width;  // radians; pixels (at the widest slice); pixels at the base
};

struct Patient {
  double s;              // slice size
  double cx, cleft_y;    // symmetry axis; the torso's top on the axis
  double base_y;         // the breasts' centre row
  Breast breast[2];      // 0: image left, 1: image right
  double tax, tay, tcy;  // torso ellipse
  double density;        // fibroglandular amount
  double bias[5];
  double noise;
  double heart_dx;
  double rib_step;  // angle between ribs (radians)
  uint64_t texture_key;
  // tumour
  bool malignant;
  int side;
  double tx, ty, drift_x, drift_y;
  double r_max, z_centre, z_half;
  double ratio, angle;  // benign: ellipse axis ratio and orientation
  double harm_amp[7], harm_phase[7];
  std::vector<Spicule> spicules;
  double gain;
  double extent;    // largest distance of a tumour pixel from its centre
  double contrast;  // 1: the enhanced value; realistic style: 0.2-0.45 of the way from the tissue to it
  double speckle;   // sigma of the multiplicative speckle (0: none)
};

// The breast's normalised radius at (x, y): < 1 inside; a slightly conical superellipse.
double breast_rho(const Breast& b, double base_y, double x, double y) {
  const double dx = std::fabs(x - b.bx) / b.rw, dy = (base_y - y) / b.rh;
  const double ay = dy > 0 ? std::pow(dy, 1.8) : dy * dy * 1.6;  // pointed front, rounder back
  return std::sqrt(std::pow(dx, 2.2) + ay);
}

// The tumour body's radius in direction theta at size factor f (1 at the widest slice):
// benign, a gently lobulated ellipse; malignant, an irregular outline of low harmonics.
double body_radius(const Patient& p, double theta, double f) {
  const double r = p.r_max * f;
  if (!p.malignant) {
    const double c = std::cos(theta - p.angle), sn = std::sin(theta - p.angle);
    const double rr = r * p.ratio / std::sqrt(p.ratio * p.ratio * c * c + sn * sn);
    return rr * (1.0 + p.harm_amp[2] * std::cos(2 * theta + p.harm_phase[2]) +
                 p.harm_amp[3] * std::cos(3 * theta + p.harm_phase[3]));
  }
  double rr = 1.0;
  for (int k = 2; k <= 6; ++k) rr += p.harm_amp[k] * std::cos(k * theta + p.harm_phase[k]);
  return r * rr;
}

// Fraction of the pixel at offset (dx, dy) from the tumour centre that the tumour covers
// (a linear ramp over one pixel across the outline). Spicules are thin straight spikes leaving
// the body along their angle, tapering from `width` pixels to nothing over their length.
double tumour_cover(const Patient& p, double dx, double dy, double f) {
  const double rho = std::hypot(dx, dy), theta = std::atan2(dy, dx);
  double cover = std::clamp(body_radius(p, theta, f) - rho + 0.5, 0.0, 1.0);
  for (const Spicule& sp : p.spicules) {
    if (cover >= 1.0) break;
    const double c = std::cos(sp.angle), sn = std::sin(sp.angle);
    const double along = dx * c + dy * sn, perp = std::fabs(-dx * sn + dy * c);
    const double r0 = body_radius(p, sp.angle, f) * 0.8, len = sp.length * f;
    if (along < r0 || along > r0 + len + 1.0) continue;
    const double half = 0.5 * sp.width * (1.0 - std::clamp((along - r0) / len, 0.0, 1.0)) + 0.2;
    cover = std::max(cover, std::clamp(half - perp + 0.5, 0.0, 1.0));
  }
  return cover;
}

double max_extent(const Patient& p) {
  double m = 0.0;
  for (int i = 0; i < 256; ++i) m = std::max(m, body_radius(p, 2 * kPi * i / 256, 1.0));
  for (const Spicule& sp : p.spicules) m = std::max(m, body_radius(p, sp.angle, 1.0) * 0.8 + sp.length + 1.0);
  return m;
}

Patient make_patient(const PhantomOptions& o, int index, Label label) {
  SampleRandom r(o.seed, uint64_t(index), 0xB0D7ull);
  Patient p{};
  const double s = o.size;
  p.s = s;
  p.cx = s * (0.5 + r.uniform(-0.035f, 0.035f));
  p.cleft_y = s * r.uniform(0.50f, 0.56f);
  p.base_y = p.cleft_y - 0.02 * s;
  for (int b = 0; b < 2; ++b) {
    const double off = s * r.uniform(0.2f, 0.23f);
    p.breast[b].bx = p.cx + (b == 0 ? -off : off);
    // Realistic style: larger breasts, room for lesions of a third of a quadrant.
    const bool big = o.style == "realistic";
    p.breast[b].rw = std::min(s * (big ? r.uniform(0.2f, 0.22f) : r.uniform(0.17f, 0.2f)), off - 0.015 * s);
    p.breast[b].rh = std::min(s * (big ? r.uniform(0.36f, 0.44f) : r.uniform(0.25f, 0.32f)), p.base_y - 0.04 * s);
  }
  p.tax = 0.49 * s;
  p.tay = 0.42 * s;
  p.tcy = p.cleft_y + p.tay;
  p.density = r.uniform(-0.12f, 0.12f);
  p.bias[0] = r.uniform(-0.35f, 0.35f);  // x
  p.bias[1] = r.uniform(-0.5f, 0.15f);   // y: brighter towards the breast coil (top)
  p.bias[2] = r.uniform(-0.4f, 0.4f);    // x^2
  p.bias[3] = r.uniform(-0.4f, 0.4f);    // y^2
  p.bias[4] = r.uniform(-0.4f, 0.4f);    // xy
  p.noise = o.noise * r.uniform(0.8f, 1.2f);
  p.heart_dx = s * r.uniform(0.02f, 0.07f);
  p.rib_step = r.uniform(0.26f, 0.34f);
  p.texture_key = r.sub_key(1);
  p.gain = r.uniform(0.92f, 1.08f);

  p.malignant = label == Label::Malignant;
  p.side = int(r.integer(0, 1));
  p.ratio = r.uniform(0.6f, 0.9f);
  p.angle = r.uniform(0.0f, float(kPi));
  for (int k = 0; k < 7; ++k) {
    p.harm_amp[k] = p.malignant ? r.uniform(0.0f, 0.12f) / std::sqrt(double(std::max(k, 1))) : r.uniform(0.0f, 0.04f);
    p.harm_phase[k] = r.uniform(0.0f, float(2 * kPi));
  }
  p.r_max = s * (p.malignant ? r.uniform(0.065f, 0.1f) : r.uniform(0.07f, 0.11f));
  p.contrast = 1.0;
  p.speckle = 0.0;
  if (o.style == "realistic") {
    // Area log-uniform in [1%, 35%] of a quadrant (s^2 / 4), irregular, low contrast.
    const double frac = 0.01 * std::exp(r.uniform(0.0f, float(std::log(35.0))));
    p.r_max = s * std::sqrt(frac / 4.0 / kPi);
    for (int k = 2; k < 7; ++k) p.harm_amp[k] = r.uniform(0.0f, 0.2f) / std::sqrt(double(k - 1));
    p.contrast = r.uniform(0.2f, 0.45f);
    p.speckle = r.uniform(0.15f, 0.3f);
  }
  if (p.malignant) {
    const int n = int(r.integer(8, 14));
    for (int i = 0; i < n; ++i) {
      Spicule sp;
      sp.angle = r.uniform(0.0f, float(2 * kPi));
      // Realistic style: large lesions are irregular more than spiculated (shorter spikes).
      sp.length = p.r_max * (o.style == "realistic" ? r.uniform(0.15f, 0.4f) : r.uniform(0.3f, 0.85f));
      sp.width = std::max(1.5, 0.012 * s) * r.uniform(0.8f, 1.4f);
      p.spicules.push_back(sp);
    }
  }
  const int K = o.slices;
  p.z_centre = (K - 1) / 2.0 + r.uniform(-0.2f, 0.2f) * (K - 1);
  p.z_half = std::max((K - 1) / 2.0, 0.5) * 1.25 + 0.5;
  // The centre drifts by up to 4% of the slice over the stack.
  p.drift_x = s * r.uniform(-0.04f, 0.04f) / std::max(K - 1, 1);
  p.drift_y = s * r.uniform(-0.04f, 0.04f) / std::max(K - 1, 1);

  // Place the tumour inside its breast's glandular region, on its own side of the axis and
  // above the chest wall, so that it lies whole in one breast quadrant; shrink it if it will
  // not fit.
  const Breast& b = p.breast[p.side];
  const double margin = std::max(1.0, 0.015 * s);
  for (int attempt = 0;; ++attempt) {
    if (attempt > 0 && attempt % 50 == 0) {
      p.r_max *= 0.9;
      for (Spicule& sp : p.spicules) sp.length *= 0.9;
    }
    FBD_CHECK(attempt < 5000, "phantom: could not place a tumour for patient ", index);
    p.tx = b.bx + r.uniform(-0.45f, 0.45f) * b.rw;
    p.ty = p.base_y - r.uniform(0.15f, 0.7f) * b.rh;
    const double reach = std::max(p.z_centre, (K - 1) - p.z_centre);  // slices from the centre
    const double ext = max_extent(p) + std::max(std::fabs(p.drift_x), std::fabs(p.drift_y)) * reach + margin;
    bool ok = true;
    for (int i = 0; i < 32 && ok; ++i) {
      const double a = 2 * kPi * i / 32, x = p.tx + ext * std::cos(a), y = p.ty + ext * std::sin(a);
      ok = breast_rho(b, p.base_y, x, y) < (o.style == "realistic" ? 1.0 : 0.95) && y < p.cleft_y - margin &&
           (p.side == 0 ? x < p.cx - margin : x > p.cx + margin);
    }
    if (ok) break;
  }
  p.extent = max_extent(p);
  return p;
}

// Tissue intensities of a T1-weighted, contrast-enhanced scan (before bias and noise).
constexpr float kFat = 0.72f, kGland = 0.30f, kSkin = 0.50f, kMuscle = 0.30f, kLung = 0.05f, kHeart = 0.42f,
                kMediastinum = 0.62f, kCortex = 0.20f, kMarrow = 0.48f;

// `enhancement` receives what the lesion adds to the tissue under it (the enhanced scan minus
// the same scan without contrast uptake), blurred as the image is.
void render_slice(const Patient& p, const PhantomOptions& o, int k, Image& img, Image& mask, Image& breast,
                  Image& enhancement) {
  const int64_t S = o.size;
  const double s = p.s;
  img = Image(S, S);
  enhancement = Image(S, S);
  mask = Image(S, S);
  breast = Image(S, S);
  const double z = double(k);
  const double zslice = z * 0.018 * s;  // texture moves slowly through the stack
  const double tf = std::sqrt(std::max(0.3, 1.0 - std::pow((z - p.z_centre) / p.z_half, 2.0)));
  const double tcx = p.tx + p.drift_x * (z - p.z_centre), tcy = p.ty + p.drift_y * (z - p.z_centre);
  const double fat_layer = 0.022 * s, muscle_end = 0.065 * s, rib_depth = 0.082 * s, rib_half = 0.011 * s;
  const double skin = std::max(1.0, 0.008 * s);
  const uint64_t key = p.texture_key;

  for (int64_t yi = 0; yi < S; ++yi) {
    const double y = double(yi);
    for (int64_t xi = 0; xi < S; ++xi) {
      const double x = double(xi);
      float v = 0.0f;
      // Torso: normalised radius and the depth below its surface along the radius.
      const double ux = (x - p.cx) / p.tax, uy = (y - p.tcy) / p.tay;
      const double rt = std::sqrt(ux * ux + uy * uy);
      const double dist = std::hypot(x - p.cx, y - p.tcy);
      const double depth = rt > 1e-9 ? (1.0 - rt) * dist / rt : s;
      const bool in_torso = rt < 1.0;
      int bi = -1;
      double rb = 2.0;
      for (int b = 0; b < 2; ++b) {
        const double rr = breast_rho(p.breast[b], p.base_y, x, y);
        if (rr < rb) {
          rb = rr;
          bi = b;
        }
      }
      const bool in_breast = rb < 1.0;
      if (in_torso && depth >= fat_layer) {
        // Chest wall and thorax.
        const double phi = std::atan2(uy, ux);
        if (depth < muscle_end) {
          v = kMuscle + 0.04f * fbm(key + 7, x * 0.3, y, zslice, 0.05 * s, 2);
        } else {
          v = kMediastinum;
          const double lx = std::fabs(x - p.cx) - 0.2 * s, ly = y - (p.cleft_y + 0.31 * s);
          const bool lung = (lx / (0.15 * s)) * (lx / (0.15 * s)) + (ly / (0.21 * s)) * (ly / (0.21 * s)) < 1.0;
          const double hx = x - (p.cx + p.heart_dx), hy = y - (p.cleft_y + 0.3 * s);
          const bool heart = (hx / (0.13 * s)) * (hx / (0.13 * s)) + (hy / (0.12 * s)) * (hy / (0.12 * s)) < 1.0;
          if (heart) {
            v = kHeart + 0.05f * fbm(key + 9, x, y, zslice, 0.06 * s, 2);
          } else if (lung) {
            v = kLung + 0.05f * std::max(0.0f, fbm(key + 11, x, y, zslice, 0.03 * s, 2));
          } else {
            v = kMediastinum - 0.25f * std::max(0.0f, fbm(key + 13, x, y, zslice, 0.05 * s, 2));
          }
        }
        // Ribs (cut obliquely: elongated ovals at irregular spacing) and the sternum, just under
        // the muscle on the front and sides of the chest.
        const double t = (phi + kPi / 2) / p.rib_step;
        const double nearest = std::round(t);
        if (std::fabs(nearest * p.rib_step) < 1.3) {
          const double jitter = 0.3 * p.rib_step * double(lattice(p.texture_key + 23, int64_t(nearest), 0, k / 3));
          const double da = (t - nearest) * p.rib_step * dist - jitter * dist, dd = depth - rib_depth;
          const double half_w = nearest == 0 ? 0.04 * s : 0.028 * s;  // the sternum is wider
          const double e = (da / half_w) * (da / half_w) + (dd / rib_half) * (dd / rib_half);
          if (e < 1.0) v = e < 0.4 ? kMarrow : kCortex;
        }
      } else if (in_breast) {
        breast.at(yi, xi) = 1.0f;
        const Breast& b = p.breast[bi];
        const double edge_px = (1.0 - rb) * std::min(b.rw, b.rh);
        if (edge_px < skin) {
          v = kSkin;
        } else {
          // Fibroglandular tissue: dense deep in the breast, fat under the skin; isotropic
          // blobs plus strands streaked along the radius towards the nipple.
          const double nip_y = p.base_y - b.rh;  // strands converge on the nipple
          const double ang = std::atan2(x - b.bx, y - nip_y);
          const double rad = std::hypot(x - b.bx, y - nip_y);
          const double iso = fbm(key, x, y, zslice, 0.09 * s, 4);
          const double streak = fbm(key + 3, ang * 0.55 * s, rad * 0.3, zslice, 0.06 * s, 3);
          const double depth_w = smoothstep(0.93, 0.6, rb);
          const double g = 0.55 * iso + 0.45 * streak + 0.45 * depth_w - 0.45 + p.density;
          const double gamma = depth_w * (1.0 / (1.0 + std::exp(-g / 0.05)));
          const double fat_tex = 0.03 * fbm(key + 5, x, y, zslice, 0.04 * s, 2);
          v = float((kFat + fat_tex) * (1.0 - gamma) + kGland * gamma);
        }
      } else if (in_torso) {
        v = depth < skin ? kSkin : kFat + 0.03f * fbm(key + 5, x, y, zslice, 0.04 * s, 2);
      }
      // Tumour.
      const double tdx = x - tcx, tdy = y - tcy;
      const double tr = std::hypot(tdx, tdy);
      if (tr < p.extent + 2.0) {
        const double cover = tumour_cover(p, tdx, tdy, tf);
        if (cover > 0.0) {
          double t_int;
          if (p.malignant) {  // heterogeneous, with rim enhancement
            const double rel = tr / std::max(body_radius(p, std::atan2(tdy, tdx), tf), 1e-6);
            t_int = 0.95 + 0.25 * smoothstep(0.4, 0.85, rel) + 0.12 * fbm(key + 17, x, y, zslice, 0.03 * s, 2);
          } else {  // homogeneous
            t_int = 1.08 + 0.04 * fbm(key + 19, x, y, zslice, 0.05 * s, 2);
          }
          t_int *= p.gain;
          t_int = v + p.contrast * (t_int - v);  // realistic style: only part of the way from the tissue
          const float tissue = v;
          v = float(v * (1.0 - cover) + t_int * cover);
          enhancement.at(yi, xi) = v - tissue;
          if (cover >= 0.5) mask.at(yi, xi) = 1.0f;
        }
      }
      img.at(yi, xi) = v;
    }
  }
  // Partial volume / point spread (bias field and noise follow in synth_patient).
  gaussian_blur(img, 3, 0.6);
  gaussian_blur(enhancement, 3, 0.6);
}

// The lesion's enhancement in DCE phase `phase` of `phases` relative to the enhanced scan
// (PhantomOptions::phases): 5% before contrast, then washout (malignant) or a persistent rise.
double phase_weight(bool malignant, int phase, int phases) {
  if (phase == 0) return 0.05;
  const double t = phases > 2 ? double(phase - 1) / double(phases - 2) : 1.0;  // 0 first post phase, 1 last
  return malignant ? (phases > 2 ? 1.0 - 0.25 * t : 1.0) : 0.75 + 0.25 * t;
}

}  // namespace

void check_phantom_options(const PhantomOptions& o) {
  FBD_CHECK(o.patients >= 1 && o.patients <= 100000, "synth: --patients must be in [1, 100000], got ", o.patients);
  FBD_CHECK(o.slices >= 1 && o.slices <= 1000, "synth: --slices-per-patient must be in [1, 1000], got ", o.slices);
  FBD_CHECK(o.size >= 32 && o.size <= 4096, "synth: --size must be in [32, 4096], got ", o.size);
  FBD_CHECK(o.malignant_fraction >= 0.0 && o.malignant_fraction <= 1.0,
            "synth: --malignant-fraction must be in [0, 1], got ", o.malignant_fraction);
  FBD_CHECK(o.noise >= 0.0 && o.noise <= 0.5, "synth: --noise must be in [0, 0.5], got ", o.noise);
  FBD_CHECK(o.bit_depth == 8 || o.bit_depth == 16, "synth: --bit-depth must be 8 or 16, got ", o.bit_depth);
  FBD_CHECK(o.edge_width >= 1 && o.edge_width <= 16, "synth: --edge-width must be in [1, 16], got ", o.edge_width);
  FBD_CHECK(o.style == "default" || o.style == "realistic", "synth: --style must be default or realistic, got '",
            o.style, "'");
  FBD_CHECK(o.format == "png" || o.format == "nifti", "synth: --format must be png or nifti, got '", o.format, "'");
  FBD_CHECK(o.phases >= 1 && o.phases <= 16, "synth: --phases must be in [1, 16], got ", o.phases);
  FBD_CHECK(o.phases == 1 || o.format == "nifti", "synth: --phases ", o.phases,
            " needs --format nifti (a PNG slice holds one channel)");
  FBD_CHECK(o.spacing_xy > 0 && o.spacing_xy <= 100 && o.spacing_z > 0 && o.spacing_z <= 100,
            "synth: --spacing values must be in (0, 100] mm, got ", o.spacing_xy, ", ", o.spacing_z);
}

std::vector<Label> phantom_labels(const PhantomOptions& o) {
  const int n = o.patients;
  const int malignant = int(std::lround(n * o.malignant_fraction));
  std::vector<int> order(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) order[size_t(i)] = i;
  SampleRandom r(o.seed, 0x1ABE1ull, 0);
  for (int i = n; i > 1; --i) std::swap(order[size_t(i - 1)], order[size_t(r.integer(0, i - 1))]);
  std::vector<Label> labels(static_cast<size_t>(n), Label::Benign);
  for (int i = 0; i < malignant; ++i) labels[size_t(order[size_t(i)])] = Label::Malignant;
  return labels;
}

std::vector<PhantomSlice> synth_patient(const PhantomOptions& o, int patient) {
  check_phantom_options(o);
  const Label label = phantom_labels(o)[size_t(patient)];
  const Patient p = make_patient(o, patient, label);
  char pid[32];
  std::snprintf(pid, sizeof(pid), "P%03d", patient);
  std::vector<PhantomSlice> out;
  for (int k = 0; k < o.slices; ++k) {
    PhantomSlice sl;
    char id[48];
    std::snprintf(id, sizeof(id), "%s_S%02d", pid, k);
    sl.id = id;
    sl.patient = pid;
    sl.slice = k;
    sl.label = label;
    Image enhancement;
    render_slice(p, o, k, sl.image, sl.mask, sl.breast, enhancement);
    // Bias field and Rician noise: |signal * bias + n1 + i n2| with n1, n2 ~ N(0, sigma), then
    // the realistic style's speckle, from the noise stream `noise`.
    auto acquire = [&](Image& img, SampleRandom noise) {
      const double s = p.s;
      for (int64_t y = 0; y < o.size; ++y)
        for (int64_t x = 0; x < o.size; ++x) {
          const double u = (double(x) - p.cx) / s, v = (double(y) - p.cleft_y) / s;
          const double bias = std::clamp(
              std::exp(p.bias[0] * u + p.bias[1] * v + p.bias[2] * u * u + p.bias[3] * v * v + p.bias[4] * u * v), 0.6,
              1.4);
          const double sig = img.at(y, x) * bias * 0.75;
          const double n1 = noise.normal() * p.noise, n2 = noise.normal() * p.noise;
          img.at(y, x) = float(std::min(1.0, std::sqrt((sig + n1) * (sig + n1) + n2 * n2)));
        }
      if (p.speckle > 0) {
        // Speckle-like multiplicative noise: unit-mean grains of a few pixels (blurred white
        // noise, rescaled to sigma p.speckle).
        SampleRandom grain(o.seed, uint64_t(patient), 0x5BECull + uint64_t(k));
        Image field(o.size, o.size);
        for (float& v : field.px) v = float(grain.normal());
        gaussian_blur(field, 5, 1.0);
        double ss = 0;
        for (float v : field.px) ss += double(v) * v;
        const double scale = p.speckle / std::sqrt(std::max(ss / double(field.px.size()), 1e-12));
        for (size_t i = 0; i < field.px.size(); ++i)
          img.px[i] = float(std::clamp(img.px[i] * (1.0 + scale * field.px[i]), 0.0, 1.0));
      }
    };
    if (o.phases >= 2) {
      const bool malignant = label == Label::Malignant;
      const int peak = malignant ? 1 : o.phases - 1;
      for (int ph = 0; ph < o.phases; ++ph) {
        Image img = sl.image;
        const float extra = float(phase_weight(malignant, ph, o.phases) - 1.0);
        for (size_t i = 0; i < img.px.size(); ++i) img.px[i] += extra * enhancement.px[i];
        // The peak phase keeps the noise of the one-phase scan, so it is that scan exactly.
        acquire(img, ph == peak ? SampleRandom(o.seed, uint64_t(patient), 0x40000ull + uint64_t(k))
                                : SampleRandom(o.seed, uint64_t(patient),
                                               0x60000ull + 0x1000ull * uint64_t(ph) + uint64_t(k)));
        sl.phases.push_back(std::move(img));
      }
      sl.image = sl.phases[size_t(peak)];
    } else {
      acquire(sl.image, SampleRandom(o.seed, uint64_t(patient), 0x40000ull + uint64_t(k)));
    }
    sl.axis_x = p.cx;
    sl.cleft_y = int64_t(std::lround(p.cleft_y));
    sl.tumour_left = p.side == 0;
    out.push_back(std::move(sl));
  }
  return out;
}

std::vector<PhantomSlice> synth_phantom(const PhantomOptions& o) {
  check_phantom_options(o);
  std::vector<std::vector<PhantomSlice>> per(static_cast<size_t>(o.patients));
  std::atomic<int> next{0};
  std::exception_ptr failure;
  std::mutex mu;
  auto work = [&] {
    for (int i = next++; i < o.patients; i = next++) {
      try {
        per[size_t(i)] = synth_patient(o, i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!failure) failure = std::current_exception();
      }
    }
  };
  int threads = o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  threads = std::min(threads, o.patients);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  std::vector<PhantomSlice> all;
  for (auto& v : per)
    for (auto& s : v) all.push_back(std::move(s));
  return all;
}

}  // namespace fbd::data
