// The masks of the EDT and metric benchmarks (bench/edt_metrics.cpp, bench/cuda/edt_metrics.cpp),
// written with integer arithmetic so bench/compare_scipy_edt.py builds the very same ones:
// image i of a 16 x 256 x 256 batch holds one ellipse (the "tumour"); the prediction is the same
// ellipse moved by (3, -4) pixels and 2 pixels larger.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace fbd::bench {

inline constexpr int64_t kEdtBatch = 16, kEdtSide = 256;

// 1 inside the ellipse of image i (shifted by (dy, dx), radii grown by `grow`), else 0.
inline std::vector<uint8_t> ellipse_masks(int64_t dy = 0, int64_t dx = 0, int64_t grow = 0) {
  std::vector<uint8_t> m(static_cast<size_t>(kEdtBatch * kEdtSide * kEdtSide));
  for (int64_t i = 0; i < kEdtBatch; ++i) {
    const int64_t cy = 64 + (37 * i) % 128 + dy, cx = 64 + (53 * i) % 128 + dx;
    const int64_t ry = 12 + (7 * i) % 40 + grow, rx = 10 + (11 * i) % 44 + grow;
    for (int64_t y = 0; y < kEdtSide; ++y)
      for (int64_t x = 0; x < kEdtSide; ++x)
        m[size_t((i * kEdtSide + y) * kEdtSide + x)] =
            (y - cy) * (y - cy) * rx * rx + (x - cx) * (x - cx) * ry * ry <= rx * rx * ry * ry;
  }
  return m;
}

inline std::vector<float> as_float(const std::vector<uint8_t>& m) { return std::vector<float>(m.begin(), m.end()); }

}  // namespace fbd::bench
