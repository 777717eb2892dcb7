#include "apps/postprocess.h"

#include <algorithm>

#include "core/error.h"

namespace fbd::app {

int label_components(const uint8_t* mask, int64_t h, int64_t w, int connectivity, std::vector<int32_t>& labels) {
  FBD_CHECK(connectivity == 4 || connectivity == 8, "label_components: connectivity must be 4 or 8, got ",
            connectivity);
  labels.assign(static_cast<size_t>(h * w), 0);
  std::vector<int64_t> stack;
  int count = 0;
  for (int64_t start = 0; start < h * w; ++start) {
    if (mask[start] == 0 || labels[size_t(start)] != 0) continue;
    labels[size_t(start)] = ++count;
    stack.push_back(start);
    while (!stack.empty()) {  // flood fill with an explicit stack
      const int64_t p = stack.back();
      stack.pop_back();
      const int64_t y = p / w, x = p % w;
      for (int64_t dy = -1; dy <= 1; ++dy)
        for (int64_t dx = -1; dx <= 1; ++dx) {
          if ((dy == 0 && dx == 0) || (connectivity == 4 && dy != 0 && dx != 0)) continue;
          const int64_t ny = y + dy, nx = x + dx;
          if (ny < 0 || ny >= h || nx < 0 || nx >= w) continue;
          const int64_t q = ny * w + nx;
          if (mask[q] != 0 && labels[size_t(q)] == 0) {
            labels[size_t(q)] = count;
            stack.push_back(q);
          }
        }
    }
  }
  return count;
}

namespace {
std::vector<int64_t> component_sizes(const std::vector<int32_t>& labels, int count) {
  std::vector<int64_t> sizes(static_cast<size_t>(count) + 1, 0);
  for (int32_t l : labels) ++sizes[size_t(l)];
  return sizes;
}
}  // namespace

void keep_largest_component(uint8_t* mask, int64_t h, int64_t w) {
  std::vector<int32_t> labels;
  const int count = label_components(mask, h, w, 8, labels);
  if (count <= 1) return;
  const std::vector<int64_t> sizes = component_sizes(labels, count);
  const int keep = int(std::max_element(sizes.begin() + 1, sizes.end()) - sizes.begin());
  for (int64_t i = 0; i < h * w; ++i) mask[i] = labels[size_t(i)] == keep;
}

void remove_small_components(uint8_t* mask, int64_t h, int64_t w, int64_t min_pixels) {
  std::vector<int32_t> labels;
  const int count = label_components(mask, h, w, 8, labels);
  const std::vector<int64_t> sizes = component_sizes(labels, count);
  for (int64_t i = 0; i < h * w; ++i)
    if (labels[size_t(i)] != 0 && sizes[size_t(labels[size_t(i)])] < min_pixels) mask[i] = 0;
}

void fill_holes(uint8_t* mask, int64_t h, int64_t w) {
  std::vector<uint8_t> background(static_cast<size_t>(h * w));
  for (int64_t i = 0; i < h * w; ++i) background[size_t(i)] = mask[i] == 0;
  std::vector<int32_t> labels;
  const int count = label_components(background.data(), h, w, 4, labels);
  std::vector<uint8_t> touches_border(static_cast<size_t>(count) + 1, 0);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      if (y == 0 || x == 0 || y == h - 1 || x == w - 1) touches_border[size_t(labels[size_t(y * w + x)])] = 1;
  for (int64_t i = 0; i < h * w; ++i)
    if (labels[size_t(i)] != 0 && !touches_border[size_t(labels[size_t(i)])]) mask[i] = 1;
}

}  // namespace fbd::app
