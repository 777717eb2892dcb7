#include "losses/mask.h"

#include <cmath>

namespace fbd {

MaskGeometry mask_geometry(const Tensor& t, const char* what) {
  const Shape& s = t.shape();
  if (s.size() == 2) return {1, s[0], s[1]};
  if (s.size() == 3) return {s[0], s[1], s[2]};
  if (s.size() == 4 && s[1] == 1) return {s[0], s[2], s[3]};
  FBD_FAIL(what, ": expected a shape (H,W), (N,H,W) or (N,1,H,W), got ", shape_str(s));
}

void check_binary_mask(const Tensor& mask, const char* what) {
  const Tensor host = mask.cpu();
  const int64_t n = host.numel();
  if (host.dtype() == DType::U8) {
    const uint8_t* p = host.data<uint8_t>();
    for (int64_t i = 0; i < n; ++i)
      FBD_CHECK(p[i] <= 1, what, ": mask values must be 0 or 1, found ", int(p[i]), " at index ", i);
    return;
  }
  FBD_CHECK(host.dtype() == DType::F32, what, ": masks are float32 or uint8, got ", dtype_name(host.dtype()));
  const float* p = host.data<float>();
  for (int64_t i = 0; i < n; ++i)
    FBD_CHECK(p[i] == 0.0f || p[i] == 1.0f, what, ": mask values must be 0 or 1, found ", p[i], " at index ", i);
}

}  // namespace fbd
