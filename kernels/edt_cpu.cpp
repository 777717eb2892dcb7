// CPU twin of the exact EDT (math and why it is exact: kernels/edt.cuh).
//
// Pass 1, columns: the sweeps of edt_column_down / edt_column_up, run over a chunk of up to
// kChunk neighbouring columns at once (one row of the chunk per step), so memory is read
// row by row rather than with a stride of W. Parallel over (image, chunk).
// Pass 2, rows: edt_row on each row (contiguous), parallel over rows.
// Per pixel: the input read once, a code written, read, rewritten (column pass) and read
// (row pass), the output written once. The row pass's envelope is the arithmetic bound: a few
// double multiply-adds and one sqrt per pixel (two envelopes for the signed map).
// Results do not depend on the thread count: every row and column is computed alone.
#include <algorithm>
#include <vector>

#include "kernels/edt.cuh"

namespace fbd::kernels {
namespace {

constexpr int64_t kChunk = 256;

template <typename T>
void columns(const T* in, int32_t* code, int64_t batch, int64_t height, int64_t width) {
  const int64_t chunks = (width + kChunk - 1) / kChunk, plane = height * width;
  const int32_t h = int32_t(height);
#pragma omp parallel if (batch * plane > kCpuParallelThreshold)
  {
    std::vector<int32_t> a(static_cast<size_t>(kChunk)), b(static_cast<size_t>(kChunk));
#pragma omp for schedule(static)
    for (int64_t item = 0; item < batch * chunks; ++item) {
      const int64_t n = item / chunks, x0 = (item % chunks) * kChunk, len = std::min(kChunk, width - x0);
      const T* src = in + n * plane + x0;
      int32_t* dst = code + n * plane + x0;
      std::fill(a.begin(), a.end(), -1);
      std::fill(b.begin(), b.end(), -1);
      for (int32_t y = 0; y < h; ++y)
        for (int64_t i = 0; i < len; ++i)
          dst[y * width + i] = edt_column_down(src[y * width + i] != T(0), y, a[size_t(i)], b[size_t(i)]);
      std::fill(a.begin(), a.end(), -1);
      std::fill(b.begin(), b.end(), -1);
      for (int32_t y = h - 1; y >= 0; --y)
        for (int64_t i = 0; i < len; ++i)
          dst[y * width + i] = edt_column_up(dst[y * width + i], y, a[size_t(i)], b[size_t(i)]);
    }
  }
}

template <typename T>
void run(const T* in, float* out, int64_t batch, int64_t height, int64_t width, float spacing_y, float spacing_x,
         EdtOutput mode) {
  const int64_t plane = height * width;
  if (plane == 0 || batch == 0) return;
  std::vector<int32_t> code(static_cast<size_t>(batch * plane));
  columns(in, code.data(), batch, height, width);
  const double sy2 = double(spacing_y) * double(spacing_y), sx2 = double(spacing_x) * double(spacing_x);
  const int32_t w = int32_t(width);
#pragma omp parallel if (batch * plane > kCpuParallelThreshold)
  {
    std::vector<int32_t> sites(static_cast<size_t>(width)), starts(static_cast<size_t>(width));
#pragma omp for schedule(static)
    for (int64_t r = 0; r < batch * height; ++r)
      edt_row(code.data() + r * width, out + r * width, w, mode, sx2, sy2, sites.data(), starts.data());
  }
}

}  // namespace

void edt_cpu(const uint8_t* input, float* out, int64_t batch, int64_t height, int64_t width, float spacing_y,
             float spacing_x, EdtOutput mode) {
  run(input, out, batch, height, width, spacing_y, spacing_x, mode);
}

void edt_cpu(const float* input, float* out, int64_t batch, int64_t height, int64_t width, float spacing_y,
             float spacing_x, EdtOutput mode) {
  run(input, out, batch, height, width, spacing_y, spacing_x, mode);
}

}  // namespace fbd::kernels
