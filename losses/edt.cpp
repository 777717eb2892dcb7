#include "losses/edt.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/op_util.h"
#include "core/profiler.h"
#include "kernels/edt_kernels.h"
#include "losses/mask.h"

namespace fbd {

namespace {

void check_spacing(float sy, float sx, const char* what) {
  FBD_CHECK(sy > 0 && sx > 0 && std::isfinite(sy) && std::isfinite(sx), what, ": pixel spacing must be positive, got (",
            sy, ", ", sx, ")");
}

// Runs the two-pass transform (kernels/edt_kernels.h) on the tensor's own device: one column pass and
// one row pass, writing either the distance or, for the signed map, phi directly.
Tensor run_edt(const Tensor& input, const MaskGeometry& g, float sy, float sx, kernels::EdtOutput mode,
               const char* what) {
  FBD_CHECK(g.h < kernels::kEdtMaxSide && g.w < kernels::kEdtMaxSide, what, ": images up to ", kernels::kEdtMaxSide - 1,
            " pixels a side, got ", g.h, " x ", g.w);
  Tensor out = Tensor::empty(input.shape(), DType::F32, input.device());
  const bool u8 = input.dtype() == DType::U8;
  detail::dispatch(
      input, what,
      [&] {
        if (u8)
          kernels::edt_cpu(input.data<uint8_t>(), out.data<float>(), g.n, g.h, g.w, sy, sx, mode);
        else
          kernels::edt_cpu(input.data<float>(), out.data<float>(), g.n, g.h, g.w, sy, sx, mode);
      },
      [&](kernels::Stream s) {
        detail::Workspace ws(kernels::edt_workspace_bytes(g.n, g.h, g.w), input.device());
        if (u8)
          kernels::edt_cuda(input.data<uint8_t>(), out.data<float>(), g.n, g.h, g.w, sy, sx, mode, ws.get(), s);
        else
          kernels::edt_cuda(input.data<float>(), out.data<float>(), g.n, g.h, g.w, sy, sx, mode, ws.get(), s);
      });
  return out;
}

}  // namespace

Tensor edt(const Tensor& input, float spacing_y, float spacing_x) {
  check_spacing(spacing_y, spacing_x, "edt");
  const MaskGeometry g = mask_geometry(input, "edt");
  FBD_CHECK(input.dtype() == DType::F32 || input.dtype() == DType::U8, "edt: expected float32 or uint8, got ",
            dtype_name(input.dtype()));
  profiler::Scope scope("edt", input.device());
  Tensor out = run_edt(input, g, spacing_y, spacing_x, kernels::EdtOutput::Distance, "edt");
  scope.add_bytes(input.nbytes() + out.nbytes());
  return out;
}

Tensor signed_distance_map(const Tensor& mask, float spacing_y, float spacing_x) {
  check_spacing(spacing_y, spacing_x, "signed_distance_map");
  const MaskGeometry g = mask_geometry(mask, "signed_distance_map");
  check_binary_mask(mask, "signed_distance_map");
  profiler::Scope scope("signed_distance_map", mask.device());
  Tensor out = run_edt(mask, g, spacing_y, spacing_x, kernels::EdtOutput::Signed, "signed_distance_map");
  scope.add_bytes(mask.nbytes() + out.nbytes());
  return out;
}

Tensor normalize_distance_map(const Tensor& sdm) {
  const MaskGeometry g = mask_geometry(sdm, "normalize_distance_map");
  FBD_CHECK(sdm.dtype() == DType::F32, "normalize_distance_map: expected float32, got ", dtype_name(sdm.dtype()));
  std::vector<float> v = sdm.cpu().to_vector();
  const size_t plane = size_t(g.h) * size_t(g.w);
  for (int64_t n = 0; n < g.n; ++n) {
    float* p = v.data() + size_t(n) * plane;
    float top = 0.0f;
    for (size_t i = 0; i < plane; ++i) {
      FBD_CHECK(std::isfinite(p[i]), "normalize_distance_map: image ", n, " holds a non-finite distance");
      top = std::max(top, std::fabs(p[i]));
    }
    if (top > 0)
      for (size_t i = 0; i < plane; ++i) p[i] /= top;
  }
  return Tensor::from_vector(v, sdm.shape(), sdm.device());
}

}  // namespace fbd
