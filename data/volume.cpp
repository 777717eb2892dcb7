#include "data/volume.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace fbd::data {

namespace {

using Mat3 = std::array<std::array<double, 3>, 3>;

double det3(const Mat3& a) {
  return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
         a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
}

// The transpose of the inverse (the cofactor matrix over the determinant).
Mat3 inverse_transpose(const Mat3& a, double det) {
  Mat3 c{};
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 3; ++k) {
      const int r1 = (r + 1) % 3, r2 = (r + 2) % 3, k1 = (k + 1) % 3, k2 = (k + 2) % 3;
      c[r][k] = (a[r1][k1] * a[r2][k2] - a[r1][k2] * a[r2][k1]) / det;
    }
  return c;
}

// The rotation closest to `a` (the orthogonal factor of its polar decomposition), by Newton's
// iteration R <- (R + R^-T) / 2, which converges quadratically for a non-singular matrix. This is
// what nibabel's io_orientation takes from an SVD: with a sheared affine, the column of the
// sheared matrix and of its rotation can point nearest to different world axes. Returns false
// for a (near-)singular matrix.
bool closest_rotation(Mat3& r) {
  for (int it = 0; it < 100; ++it) {
    const double det = det3(r);
    if (!std::isfinite(det) || std::fabs(det) < 1e-12) return false;
    const Mat3 inv_t = inverse_transpose(r, det);
    double change = 0;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) {
        const double next = 0.5 * (r[i][j] + inv_t[i][j]);
        change = std::max(change, std::fabs(next - r[i][j]));
        r[i][j] = next;
      }
    if (change < 1e-14) break;
  }
  return true;
}

}  // namespace

double Affine::max_abs_diff(const Affine& o) const {
  double d = 0;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c) d = std::max(d, std::fabs(m[r][c] - o.m[r][c]));
  return d;
}

std::string Volume::shape_str() const {
  char buf[96];
  if (channels > 1)
    std::snprintf(buf, sizeof buf, "%lldx%lldx%lldx%lld", static_cast<long long>(nx), static_cast<long long>(ny),
                  static_cast<long long>(nz), static_cast<long long>(channels));
  else
    std::snprintf(buf, sizeof buf, "%lldx%lldx%lld", static_cast<long long>(nx), static_cast<long long>(ny),
                  static_cast<long long>(nz));
  return buf;
}

std::string Volume::spacing_str() const {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.2f x %.2f x %.2f mm", dx, dy, dz);
  return buf;
}

bool Volume::same_grid(const Volume& o, double tol) const {
  return nx == o.nx && ny == o.ny && nz == o.nz && affine.max_abs_diff(o.affine) <= tol;
}

std::string Volume::orientation_code() const {
  // Columns of the 3x3 part, each scaled to unit length (a zero column stays zero).
  Mat3 r{};
  bool zero_column[3] = {false, false, false};
  for (int c = 0; c < 3; ++c) {
    const double n =
        std::sqrt(affine.m[0][c] * affine.m[0][c] + affine.m[1][c] * affine.m[1][c] + affine.m[2][c] * affine.m[2][c]);
    zero_column[c] = !(n > 0);
    for (int i = 0; i < 3; ++i) r[i][c] = zero_column[c] ? 0.0 : affine.m[i][c] / n;
  }
  if (!zero_column[0] && !zero_column[1] && !zero_column[2]) closest_rotation(r);

  // For each voxel axis in turn, the world axis its column points along most; that world axis
  // is then taken out of the running (its row zeroed), as nibabel does, so that ties (45
  // degrees) still give three different letters.
  static const char kPositive[3] = {'R', 'A', 'S'}, kNegative[3] = {'L', 'P', 'I'};
  std::string code;
  for (int c = 0; c < 3; ++c) {
    int best = -1;
    double best_abs = 1e-12;
    for (int i = 0; i < 3; ++i)
      if (std::fabs(r[i][c]) > best_abs) {
        best = i;
        best_abs = std::fabs(r[i][c]);
      }
    if (best < 0) {
      code += '?';  // a degenerate axis (nibabel: None)
      continue;
    }
    code += r[best][c] > 0 ? kPositive[best] : kNegative[best];
    for (int k = 0; k < 3; ++k) r[best][k] = 0;
  }
  return code;
}

}  // namespace fbd::data
