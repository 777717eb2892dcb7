// The masks of the EDT and metric benchmarks (bench/edt_metrics.cpp, bench/cuda/edt_metrics.cpp),
// written with integer arithmetic so bench/compare_scipy_edt.py builds the very same ones:
// image i of a 16 x 256 x 256 batch holds one ellipse (the "tumour"); the prediction is the same
// ellipse moved by (3, -4) pixels and 2 pixels larger. The 3-D EDT case has one volume of its own
// (ellipsoid_volume below).
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

// The 3-D case: one breast-MRI-sized volume of kVolDepth x kVolSide x kVolSide voxels with
// spacing (2, 0.7, 0.7) mm (thick slices), holding one ellipsoid tumour.
inline constexpr int64_t kVolDepth = 160, kVolSide = 256;
inline constexpr double kVolSpacingZ = 2.0, kVolSpacingY = 0.7, kVolSpacingX = 0.7;

// 1 inside the ellipsoid centred at voxel (80, 120, 136) with radii (30, 70, 90) voxels, else 0.
inline std::vector<uint8_t> ellipsoid_volume() {
  constexpr int64_t cz = 80, cy = 120, cx = 136, rz = 30, ry = 70, rx = 90;
  std::vector<uint8_t> m(static_cast<size_t>(kVolDepth * kVolSide * kVolSide));
  for (int64_t z = 0; z < kVolDepth; ++z)
    for (int64_t y = 0; y < kVolSide; ++y)
      for (int64_t x = 0; x < kVolSide; ++x)
        m[size_t((z * kVolSide + y) * kVolSide + x)] = (z - cz) * (z - cz) * ry * ry * rx * rx +
                                                           (y - cy) * (y - cy) * rz * rz * rx * rx +
                                                           (x - cx) * (x - cx) * rz * rz * ry * ry <=
                                                       rz * rz * ry * ry * rx * rx;
  return m;
}

}  // namespace fbd::bench
