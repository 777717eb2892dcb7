// Per-pixel and per-image math of the metrics (kernels/metrics_kernels.h), shared by the CUDA kernels
// (metrics.cu) and the CPU twin (metrics_cpu.cpp).
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels/common.h"
#include "kernels/metrics_kernels.h"

namespace fbd::kernels {

// Pixel (y, x) of mask m (one image, row-major W wide) is on the boundary: it is in the mask and
// one of its 4 neighbours is not, where pixels outside the image are not (scipy.ndimage's
// binary_erosion with its default cross and border_value=0; mask minus erosion).
FBD_HD bool metrics_is_edge(const uint8_t* m, int64_t y, int64_t x, int64_t height, int64_t width) {
  const uint8_t* p = m + y * width + x;
  if (!*p) return false;
  if (y == 0 || x == 0 || y == height - 1 || x == width - 1) return true;
  return !p[-1] || !p[1] || !p[-width] || !p[width];
}

// Every pixel of row[x - d .. x + d] lies inside the row and is in the mask.
FBD_HD bool metrics_row_full(const uint8_t* row, int64_t x, int64_t width, int64_t d) {
  if (x - d < 0 || x + d >= width) return false;
  for (int64_t i = x - d; i <= x + d; ++i)
    if (!row[i]) return false;
  return true;
}

// Pixel (y, x) is in the band: in the mask, and not in its erosion by the (2d+1)^2 square
// (pixels outside the image are background): some pixel of column x within d rows is not
// row-full. This is Cheng et al.'s boundary (cv2.erode with a 3x3 kernel, d times, of the
// mask padded by one background pixel).
FBD_HD bool metrics_in_band(const uint8_t* m, const uint8_t* rows, int64_t y, int64_t x, int64_t height, int64_t width,
                            int64_t d) {
  if (!m[y * width + x]) return false;
  if (y - d < 0 || y + d >= height) return true;
  for (int64_t i = y - d; i <= y + d; ++i)
    if (!rows[i * width + x]) return true;
  return false;
}

// numpy.percentile's linear interpolation between sorted values lo <= hi at fraction t, in the
// same two forms numpy uses (t < 0.5 from below, else from above). Each form is one explicit
// fused multiply-add, rounded once, so the CPU twin and the GPU agree bit for bit whatever each
// compiler would contract on its own (numpy rounds the product and the sum separately: the
// result may differ from numpy's in the last bit of the double).
FBD_HD double metrics_lerp(double lo, double hi, double t) {
  const double diff = hi - lo;
  return t < 0.5 ? ::fma(diff, t, lo) : ::fma(-diff, 1.0 - t, hi);
}

// The k-th smallest (0-based) of the union of sorted arrays a[0..na) and b[0..nb), k < na + nb.
FBD_HD float metrics_kth_of_two(const float* a, int64_t na, const float* b, int64_t nb, int64_t k) {
  // i = how many of the k+1 smallest come from a: the smallest i with a[i] >= b[k - i].
  int64_t lo = k + 1 > nb ? k + 1 - nb : 0, hi = k + 1 < na ? k + 1 : na;
  while (lo < hi) {
    const int64_t i = lo + (hi - lo) / 2;
    if (a[i] < b[k - i])
      lo = i + 1;
    else
      hi = i;
  }
  const int64_t j = k + 1 - lo;
  const float from_a = lo > 0 ? a[lo - 1] : -std::numeric_limits<float>::infinity();
  const float from_b = j > 0 ? b[j - 1] : -std::numeric_limits<float>::infinity();
  return from_a > from_b ? from_a : from_b;
}

// numpy.percentile(concatenate(a, b), q) (method 'linear') for sorted a, b with na + nb >= 1;
// nb = 0 gives the percentile of a alone.
FBD_HD double metrics_percentile(const float* a, int64_t na, const float* b, int64_t nb, double q) {
  const int64_t n = na + nb;
  const double pos = (q / 100.0) * double(n - 1);
  int64_t i = int64_t(pos);
  if (i > n - 1) i = n - 1;
  const int64_t i1 = i + 1 < n ? i + 1 : n - 1;
  const double lo = metrics_kth_of_two(a, na, b, nb, i), hi = metrics_kth_of_two(a, na, b, nb, i1);
  return metrics_lerp(lo, hi, pos - double(i));
}

// The Hausdorff values of one image from its two sorted directed distance lists:
// a = distances from pred's boundary pixels to the target's boundary (na of them), b = the
// other way (nb). Both na, nb >= 1.
FBD_HD void metrics_hausdorff_values(const float* a, int64_t na, const float* b, int64_t nb, double q, double* out) {
  const double max_a = a[na - 1], max_b = b[nb - 1];
  out[kHD] = max_a > max_b ? max_a : max_b;
  const double pa = metrics_percentile(a, na, b, 0, q), pb = metrics_percentile(b, nb, a, 0, q);
  out[kHD95] = pa > pb ? pa : pb;
  out[kHD95Pooled] = metrics_percentile(a, na, b, nb, q);
}

}  // namespace fbd::kernels
