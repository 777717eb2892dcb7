#include "losses/edt3d.h"

#include <cmath>

#include "core/op_util.h"
#include "core/profiler.h"
#include "kernels/edt3d_kernels.h"
#include "losses/mask.h"

namespace fbd {

namespace {

void check_spacing(float sz, float sy, float sx, const char* what) {
  const bool ok = sz > 0 && sy > 0 && sx > 0 && std::isfinite(sz) && std::isfinite(sy) && std::isfinite(sx);
  FBD_CHECK(ok, what, ": voxel spacing must be positive and finite, got (", sz, ", ", sy, ", ", sx, ")");
}

// Runs the three-pass transform (kernels/edt3d_kernels.h) on the tensor's own device, writing the
// distance or, for the signed map, phi directly.
Tensor run_edt3d(const Tensor& input, float sz, float sy, float sx, kernels::EdtOutput mode, const char* what) {
  check_spacing(sz, sy, sx, what);
  const VolumeGeometry g = volume_geometry(input, what);
  FBD_CHECK(input.dtype() == DType::F32 || input.dtype() == DType::U8, what, ": expected float32 or uint8, got ",
            dtype_name(input.dtype()));
  FBD_CHECK(g.d < kernels::kEdtMaxSide && g.h < kernels::kEdtMaxSide && g.w < kernels::kEdtMaxSide, what,
            ": volumes up to ", kernels::kEdtMaxSide - 1, " voxels a side, got ", g.d, " x ", g.h, " x ", g.w);
  if (mode == kernels::EdtOutput::Signed) check_binary_mask(input, what);
  profiler::Scope scope(what, input.device());
  Tensor out = Tensor::empty(input.shape(), DType::F32, input.device());
  const bool u8 = input.dtype() == DType::U8;
  // float -> double is exact: the kernels see the very spacing the caller gave.
  const double dz = sz, dy = sy, dx = sx;
  detail::dispatch(
      input, what,
      [&] {
        detail::Workspace ws(kernels::edt3d_cpu_workspace_bytes(g.n, g.d, g.h, g.w), input.device());
        if (u8)
          kernels::edt3d_cpu(input.data<uint8_t>(), out.data<float>(), g.n, g.d, g.h, g.w, dz, dy, dx, mode, ws.get());
        else
          kernels::edt3d_cpu(input.data<float>(), out.data<float>(), g.n, g.d, g.h, g.w, dz, dy, dx, mode, ws.get());
      },
      [&](kernels::Stream s) {
        detail::Workspace ws(kernels::edt3d_workspace_bytes(g.n, g.d, g.h, g.w), input.device());
        if (u8)
          kernels::edt3d_cuda(input.data<uint8_t>(), out.data<float>(), g.n, g.d, g.h, g.w, dz, dy, dx, mode, ws.get(),
                              s);
        else
          kernels::edt3d_cuda(input.data<float>(), out.data<float>(), g.n, g.d, g.h, g.w, dz, dy, dx, mode, ws.get(),
                              s);
      });
  scope.add_bytes(input.nbytes() + out.nbytes());
  return out;
}

}  // namespace

VolumeGeometry volume_geometry(const Tensor& t, const char* what) {
  const Shape& s = t.shape();
  if (s.size() == 3) return {1, s[0], s[1], s[2]};
  if (s.size() == 4) return {s[0], s[1], s[2], s[3]};
  if (s.size() == 5 && s[1] == 1) return {s[0], s[2], s[3], s[4]};
  FBD_FAIL(what, ": expected a shape (D,H,W), (N,D,H,W) or (N,1,D,H,W), got ", shape_str(s));
}

Tensor edt3d(const Tensor& input, float spacing_z, float spacing_y, float spacing_x) {
  return run_edt3d(input, spacing_z, spacing_y, spacing_x, kernels::EdtOutput::Distance, "edt3d");
}

Tensor signed_distance_map3d(const Tensor& mask, float spacing_z, float spacing_y, float spacing_x) {
  return run_edt3d(mask, spacing_z, spacing_y, spacing_x, kernels::EdtOutput::Signed, "signed_distance_map3d");
}

}  // namespace fbd
