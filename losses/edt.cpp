#include "losses/edt.h"

#include <cmath>

#include "core/profiler.h"
#include "kernels/edt.h"
#include "losses/mask.h"

namespace fbd {

namespace {

// Nonzero test as uint8 on the host (the CPU EDT's input format).
std::vector<uint8_t> nonzero_bytes(const Tensor& host, bool invert) {
  const int64_t n = host.numel();
  std::vector<uint8_t> out(static_cast<size_t>(n));
  if (host.dtype() == DType::U8) {
    const uint8_t* p = host.data<uint8_t>();
    for (int64_t i = 0; i < n; ++i) out[size_t(i)] = uint8_t((p[i] != 0) != invert);
  } else {
    const float* p = host.data<float>();
    for (int64_t i = 0; i < n; ++i) out[size_t(i)] = uint8_t((p[i] != 0.0f) != invert);
  }
  return out;
}

void check_spacing(float sy, float sx) {
  FBD_CHECK(sy > 0 && sx > 0 && std::isfinite(sy) && std::isfinite(sx), "edt: pixel spacing must be positive, got (",
            sy, ", ", sx, ")");
}

}  // namespace

Tensor edt(const Tensor& input, float spacing_y, float spacing_x) {
  check_spacing(spacing_y, spacing_x);
  const MaskGeometry g = mask_geometry(input, "edt");
  FBD_CHECK(input.dtype() == DType::F32 || input.dtype() == DType::U8, "edt: expected float32 or uint8, got ",
            dtype_name(input.dtype()));
  profiler::Scope scope("edt", input.device());
  // The CUDA transform is not written yet: GPU tensors go through the CPU twin and back.
  const Tensor host = input.cpu();
  const std::vector<uint8_t> bytes = nonzero_bytes(host, false);
  Tensor out = Tensor::empty(input.shape(), DType::F32, Device::cpu());
  kernels::edt_cpu(bytes.data(), out.data<float>(), g.n, g.h, g.w, spacing_y, spacing_x);
  scope.add_bytes(input.nbytes() + out.nbytes());
  return out.to(input.device());
}

Tensor signed_distance_map(const Tensor& mask, float spacing_y, float spacing_x) {
  check_spacing(spacing_y, spacing_x);
  const MaskGeometry g = mask_geometry(mask, "signed_distance_map");
  check_binary_mask(mask, "signed_distance_map");
  profiler::Scope scope("signed_distance_map", mask.device());
  const Tensor host = mask.cpu();
  const std::vector<uint8_t> fg = nonzero_bytes(host, false), bg = nonzero_bytes(host, true);
  const int64_t plane = g.h * g.w;
  std::vector<float> to_fg(fg.size()), to_bg(fg.size());
  kernels::edt_cpu(bg.data(), to_fg.data(), g.n, g.h, g.w, spacing_y, spacing_x);  // zeros of 1-g: foreground
  kernels::edt_cpu(fg.data(), to_bg.data(), g.n, g.h, g.w, spacing_y, spacing_x);  // zeros of g: background
  Tensor out = Tensor::empty(mask.shape(), DType::F32, Device::cpu());
  float* phi = out.data<float>();
  for (int64_t n = 0; n < g.n; ++n) {
    int64_t count = 0;
    for (int64_t i = 0; i < plane; ++i) count += fg[size_t(n * plane + i)];
    const bool degenerate = count == 0 || count == plane;  // empty or full: no boundary
    for (int64_t i = 0; i < plane; ++i) {
      const size_t k = size_t(n * plane + i);
      phi[k] = degenerate ? 0.0f : (fg[k] ? -(to_bg[k] - 1.0f) : to_fg[k]);
    }
  }
  scope.add_bytes(mask.nbytes() + out.nbytes());
  return out.to(mask.device());
}

}  // namespace fbd
