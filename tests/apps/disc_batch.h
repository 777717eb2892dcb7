// A tiny segmentation batch for the network tests: n images of s x s, each a disc of value 1 in
// uniform noise of [-0.3, 0.3), its 0/1 mask and its rim (the mask pixels within 1.5 px of the
// disc's edge), [n, 1, s, s] each. Disc b has the centre and radius `disc(b)` gives (pixels).
#pragma once
#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/tensor.h"
#include "tests/test_util.h"

namespace fbd::test {

struct Disc {
  double cy, cx, r;
};

inline void disc_batch(int64_t n, int64_t s, const std::function<Disc(int64_t)>& disc, uint64_t noise_seed,
                       Tensor& image, Tensor& mask, Tensor& edge) {
  const std::vector<float> noise = random_values(n * s * s, -0.3f, 0.3f, noise_seed);
  std::vector<float> img(size_t(n * s * s)), m(img.size()), e(img.size());
  for (int64_t b = 0; b < n; ++b) {
    const Disc d = disc(b);
    for (int64_t y = 0; y < s; ++y)
      for (int64_t x = 0; x < s; ++x) {
        const size_t i = size_t((b * s + y) * s + x);
        const double r = std::hypot(y - d.cy, x - d.cx);
        m[i] = r <= d.r;
        e[i] = r <= d.r && r > d.r - 1.5;
        img[i] = m[i] + noise[i];
      }
  }
  image = Tensor::from_vector(img, {n, 1, s, s});
  mask = Tensor::from_vector(m, {n, 1, s, s});
  edge = Tensor::from_vector(e, {n, 1, s, s});
}

}  // namespace fbd::test
