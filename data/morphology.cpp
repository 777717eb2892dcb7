#include "data/morphology.h"

#include <algorithm>
#include <vector>

#include "core/error.h"

namespace fbd::data {

namespace {

// Max (or min) over a window of 2r + 1 along rows, then along columns: the square element is
// separable. Indices are clamped at the border (replicate).
template <bool kMax>
Image rank_filter(const Image& src, int r) {
  FBD_CHECK(r >= 0, "morphology: negative radius ", r);
  if (r == 0 || src.empty()) return src;
  const int64_t H = src.height, W = src.width;
  Image tmp(H, W), out(H, W);
  auto pick = [](float a, float b) { return kMax ? std::max(a, b) : std::min(a, b); };
  for (int64_t y = 0; y < H; ++y)
    for (int64_t x = 0; x < W; ++x) {
      float v = src.at(y, x);
      for (int64_t d = -r; d <= r; ++d) v = pick(v, src.at(y, std::clamp<int64_t>(x + d, 0, W - 1)));
      tmp.at(y, x) = v;
    }
  for (int64_t y = 0; y < H; ++y)
    for (int64_t x = 0; x < W; ++x) {
      float v = tmp.at(y, x);
      for (int64_t d = -r; d <= r; ++d) v = pick(v, tmp.at(std::clamp<int64_t>(y + d, 0, H - 1), x));
      out.at(y, x) = v;
    }
  return out;
}

}  // namespace

Image dilate(const Image& mask, int radius) { return rank_filter<true>(mask, radius); }
Image erode(const Image& mask, int radius) { return rank_filter<false>(mask, radius); }

Image edges_from_mask(const Image& mask, int width) {
  FBD_CHECK(width >= 1, "edges_from_mask: width must be at least 1, got ", width);
  const int a = width / 2, b = width - a;
  const Image outer = dilate(mask, a), inner = erode(mask, b);
  Image edge(mask.height, mask.width);
  for (size_t i = 0; i < edge.px.size(); ++i) edge.px[i] = (outer.px[i] != 0.0f && inner.px[i] == 0.0f) ? 1.0f : 0.0f;
  return edge;
}

int label_components(const Image& binary, std::vector<int32_t>& label, std::vector<int64_t>& sizes) {
  const int64_t H = binary.height, W = binary.width;
  label.assign(static_cast<size_t>(H * W), 0);
  sizes.assign(1, 0);
  std::vector<int64_t> stack;
  int32_t next = 0;
  for (int64_t start = 0; start < H * W; ++start) {
    if (binary.px[size_t(start)] == 0.0f || label[size_t(start)] != 0) continue;
    const int32_t id = ++next;
    int64_t size = 0;
    stack.assign(1, start);
    label[size_t(start)] = id;
    while (!stack.empty()) {  // flood fill with an explicit stack, 8 neighbours
      const int64_t p = stack.back();
      stack.pop_back();
      ++size;
      const int64_t y = p / W, x = p % W;
      for (int64_t dy = -1; dy <= 1; ++dy)
        for (int64_t dx = -1; dx <= 1; ++dx) {
          const int64_t ny = y + dy, nx = x + dx;
          if (ny < 0 || ny >= H || nx < 0 || nx >= W) continue;
          const int64_t q = ny * W + nx;
          if (binary.px[size_t(q)] != 0.0f && label[size_t(q)] == 0) {
            label[size_t(q)] = id;
            stack.push_back(q);
          }
        }
    }
    sizes.push_back(size);
  }
  return next;
}

Image largest_component(const Image& binary) {
  std::vector<int32_t> label;
  std::vector<int64_t> sizes;
  const int count = label_components(binary, label, sizes);
  int32_t best = 0;
  for (int32_t id = 1; id <= count; ++id)
    if (sizes[size_t(id)] > sizes[size_t(best)]) best = id;  // ties: the first in raster order
  Image out(binary.height, binary.width);
  for (size_t i = 0; i < out.px.size(); ++i) out.px[i] = (best != 0 && label[i] == best) ? 1.0f : 0.0f;
  return out;
}

Image remove_small_components(const Image& binary, int64_t min_pixels) {
  std::vector<int32_t> label;
  std::vector<int64_t> sizes;
  label_components(binary, label, sizes);
  Image out(binary.height, binary.width);
  for (size_t i = 0; i < out.px.size(); ++i)
    out.px[i] = (label[i] != 0 && sizes[size_t(label[i])] >= min_pixels) ? 1.0f : 0.0f;
  return out;
}

Image fill_holes(const Image& binary) {
  const int64_t H = binary.height, W = binary.width;
  std::vector<uint8_t> outside(static_cast<size_t>(H * W), 0);
  std::vector<int64_t> stack;
  auto seed = [&](int64_t y, int64_t x) {
    const int64_t p = y * W + x;
    if (binary.px[size_t(p)] == 0.0f && !outside[size_t(p)]) {
      outside[size_t(p)] = 1;
      stack.push_back(p);
    }
  };
  for (int64_t x = 0; x < W; ++x) {
    seed(0, x);
    seed(H - 1, x);
  }
  for (int64_t y = 0; y < H; ++y) {
    seed(y, 0);
    seed(y, W - 1);
  }
  while (!stack.empty()) {
    const int64_t p = stack.back();
    stack.pop_back();
    const int64_t y = p / W, x = p % W;
    if (y > 0) seed(y - 1, x);
    if (y + 1 < H) seed(y + 1, x);
    if (x > 0) seed(y, x - 1);
    if (x + 1 < W) seed(y, x + 1);
  }
  Image out(H, W);
  for (size_t i = 0; i < out.px.size(); ++i) out.px[i] = outside[i] ? 0.0f : 1.0f;
  return out;
}

float otsu_threshold(const Image& img) {
  if (img.empty()) return 0.0f;
  const auto [mn, mx] = std::minmax_element(img.px.begin(), img.px.end());
  const float lo = *mn, hi = *mx;
  if (!(hi > lo)) return lo;
  constexpr int kBins = 256;
  std::vector<double> hist(kBins, 0.0);
  const float scale = float(kBins) / (hi - lo);
  for (float v : img.px) hist[size_t(std::min(int((v - lo) * scale), kBins - 1))] += 1.0;
  const double total = double(img.numel());
  double sum_all = 0.0;
  for (int i = 0; i < kBins; ++i) sum_all += i * hist[size_t(i)];
  double w0 = 0.0, sum0 = 0.0, best_var = -1.0;
  int best = 0;
  for (int t = 0; t < kBins - 1; ++t) {  // class 0 = bins [0, t]
    w0 += hist[size_t(t)];
    sum0 += t * hist[size_t(t)];
    const double w1 = total - w0;
    if (w0 == 0.0 || w1 == 0.0) continue;
    const double m0 = sum0 / w0, m1 = (sum_all - sum0) / w1;
    const double var = w0 * w1 * (m0 - m1) * (m0 - m1);
    if (var > best_var) {
      best_var = var;
      best = t;
    }
  }
  return lo + float(best + 1) / scale;  // values >= this belong to the upper class
}

}  // namespace fbd::data
