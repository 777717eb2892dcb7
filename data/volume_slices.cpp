#include "data/volume_slices.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace fbd::data {

namespace {

int64_t axis_size(const Volume& v, int axis) { return axis == 0 ? v.nx : axis == 1 ? v.ny : v.nz; }

// The two in-plane axes of a slice along `axis`: columns along p, rows along q.
void plane_axes(int axis, int& p, int& q) {
  FBD_CHECK(axis >= 0 && axis <= 2, "slice axis must be 0, 1 or 2, got ", axis);
  p = axis == 0 ? 1 : 0;
  q = axis == 2 ? 1 : 2;
}

// Voxel offset (within one channel) of in-plane pixel (row, col) of slice `index`.
int64_t offset(const Volume& v, int axis, int64_t index, int64_t row, int64_t col) {
  int64_t ijk[3] = {0, 0, 0};
  int p = 0, q = 0;
  plane_axes(axis, p, q);
  ijk[axis] = index;
  ijk[p] = col;
  ijk[q] = row;
  return ijk[0] + v.nx * (ijk[1] + v.ny * ijk[2]);
}

double percentile_of(std::vector<float>& values, double pct) {
  const size_t k = size_t(std::llround(pct / 100.0 * double(values.size() - 1)));
  std::nth_element(values.begin(), values.begin() + std::ptrdiff_t(k), values.end());
  return values[k];
}

}  // namespace

int auto_slice_axis(const Volume& v) {
  const double s[3] = {v.dx, v.dy, v.dz};
  int best = 2;
  for (int a = 1; a >= 0; --a)
    if (s[a] > s[best] * (1 + 1e-6)) best = a;
  return best;
}

int64_t slice_count(const Volume& v, int axis) {
  int p = 0, q = 0;
  plane_axes(axis, p, q);
  return axis_size(v, axis);
}
int64_t slice_height(const Volume& v, int axis) {
  int p = 0, q = 0;
  plane_axes(axis, p, q);
  return axis_size(v, q);
}
int64_t slice_width(const Volume& v, int axis) {
  int p = 0, q = 0;
  plane_axes(axis, p, q);
  return axis_size(v, p);
}

Image extract_slice(const Volume& v, int axis, int64_t index, int64_t channel) {
  FBD_CHECK(index >= 0 && index < slice_count(v, axis), v.source, ": slice ", index, " out of range (", slice_count(v, axis),
            " slices along axis ", axis, ")");
  FBD_CHECK(channel >= 0 && channel < v.channels, v.source, ": channel ", channel, " out of range");
  Image img(slice_height(v, axis), slice_width(v, axis));
  const float* base = v.voxels.data() + channel * v.voxels_per_channel();
  for (int64_t r = 0; r < img.height; ++r)
    for (int64_t c = 0; c < img.width; ++c) img.at(r, c) = base[offset(v, axis, index, r, c)];
  return img;
}

Sample extract_sample(const Volume& v, int axis, int64_t index) {
  Sample s;
  s.image = extract_slice(v, axis, index);
  for (int64_t ch = 1; ch < v.channels; ++ch) s.more_channels.push_back(extract_slice(v, axis, index, ch));
  return s;
}

void insert_slice(std::vector<uint8_t>& dst, const Volume& grid, int axis, int64_t index, const Image& slice) {
  FBD_CHECK(int64_t(dst.size()) == grid.voxels_per_channel(), "insert_slice: the mask has ", dst.size(),
            " voxels, the grid ", grid.voxels_per_channel());
  FBD_CHECK(index >= 0 && index < slice_count(grid, axis), "insert_slice: slice ", index, " out of range");
  FBD_CHECK(slice.height == slice_height(grid, axis) && slice.width == slice_width(grid, axis), "insert_slice: slice is ",
            slice.size_str(), ", the grid's slices are ", slice_height(grid, axis), "x", slice_width(grid, axis));
  for (int64_t r = 0; r < slice.height; ++r)
    for (int64_t c = 0; c < slice.width; ++c)
      dst[static_cast<size_t>(offset(grid, axis, index, r, c))] = slice.at(r, c) != 0.0f ? 1 : 0;
}

void normalize_volume(Volume& v, double low_percentile, double high_percentile) {
  const int64_t n = v.voxels_per_channel();
  if (n == 0) return;
  for (int64_t c = 0; c < v.channels; ++c) {
    float* x = v.voxels.data() + c * n;
    std::vector<float> copy(x, x + n);
    const double lo = percentile_of(copy, low_percentile), hi = percentile_of(copy, high_percentile);
    const double range = hi - lo;
    for (int64_t i = 0; i < n; ++i)
      x[i] = range > 0 ? float(std::clamp((double(x[i]) - lo) / range, 0.0, 1.0)) : 0.0f;
  }
}

}  // namespace fbd::data
