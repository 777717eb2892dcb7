// CPU twin of the exact EDT: Felzenszwalb & Huttenlocher's separable algorithm ("Distance
// Transforms of Sampled Functions", 2012). The squared distance is separable:
//   d2(y, x) = min_x' [ sx^2 (x - x')^2 + min_y' [ sy^2 (y - y')^2 + f(y', x') ] ],
// f = 0 on zero pixels and +inf elsewhere, so one 1-D transform along every column followed by
// one along every row is exact. Each 1-D transform is the lower envelope of the parabolas
// s^2 (q - p)^2 + g(p), built left to right in O(n). Squared distances are kept in double so
// they stay exact integers (times the spacings) for images far larger than 4096 x 4096.
// Work: columns of all images in parallel, then rows. Bound: memory for the column pass
// (strided reads), arithmetic for the envelope; O(N H W) overall.
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/edt.h"

namespace fbd::kernels {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// out[i * stride] = min_p ( s2 (i - p)^2 + in[p * stride] ), for n samples.
void transform_1d(const double* in, double* out, int64_t n, int64_t stride, double s2, std::vector<int64_t>& v,
                  std::vector<double>& z) {
  int64_t k = -1;  // index of the rightmost parabola in the envelope
  for (int64_t q = 0; q < n; ++q) {
    const double fq = in[q * stride];
    if (fq == kInf) continue;
    while (k >= 0) {
      const int64_t p = v[size_t(k)];
      const double fp = in[p * stride];
      // Where the parabolas of p and q intersect (in sample units).
      const double s =
          ((fq + s2 * double(q) * double(q)) - (fp + s2 * double(p) * double(p))) / (2.0 * s2 * double(q - p));
      if (s > z[size_t(k)]) {
        ++k;
        v[size_t(k)] = q;
        z[size_t(k)] = s;
        break;
      }
      --k;
    }
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -kInf;
    }
  }
  if (k < 0) {  // no finite sample on this line
    for (int64_t i = 0; i < n; ++i) out[i * stride] = kInf;
    return;
  }
  int64_t j = 0;
  for (int64_t i = 0; i < n; ++i) {
    while (j < k && z[size_t(j + 1)] < double(i)) ++j;
    const int64_t p = v[size_t(j)];
    out[i * stride] = s2 * double(i - p) * double(i - p) + in[p * stride];
  }
}

}  // namespace

void edt_cpu(const uint8_t* input, float* dist, int64_t batch, int64_t height, int64_t width, float spacing_y,
             float spacing_x) {
  const int64_t plane = height * width;
  if (plane == 0 || batch == 0) return;
  const double sy2 = double(spacing_y) * spacing_y, sx2 = double(spacing_x) * spacing_x;
  std::vector<double> f(static_cast<size_t>(batch * plane)), g(static_cast<size_t>(batch * plane));
  for (int64_t i = 0; i < batch * plane; ++i) f[size_t(i)] = input[i] == 0 ? 0.0 : kInf;

    // Pass 1: along y, one column of one image per iteration.
#pragma omp parallel
  {
    std::vector<int64_t> v(static_cast<size_t>(height));
    std::vector<double> z(static_cast<size_t>(height));
#pragma omp for schedule(static)
    for (int64_t c = 0; c < batch * width; ++c) {
      const int64_t n = c / width, x = c % width;
      transform_1d(f.data() + n * plane + x, g.data() + n * plane + x, height, width, sy2, v, z);
    }
  }
  // Pass 2: along x, one row per iteration; then the square root.
#pragma omp parallel
  {
    std::vector<int64_t> v(static_cast<size_t>(width));
    std::vector<double> z(static_cast<size_t>(width));
    std::vector<double> row(static_cast<size_t>(width));
#pragma omp for schedule(static)
    for (int64_t r = 0; r < batch * height; ++r) {
      transform_1d(g.data() + r * width, row.data(), width, 1, sx2, v, z);
      for (int64_t x = 0; x < width; ++x) dist[r * width + x] = float(std::sqrt(row[size_t(x)]));
    }
  }
}

}  // namespace fbd::kernels
