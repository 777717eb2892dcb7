#include "layers/concat.h"

#include "core/op_util.h"
#include "core/ops.h"

namespace fbd::nn {

Tensor concat_channels(const std::vector<Tensor>& xs) {
  FBD_CHECK(!xs.empty(), "concat_channels: no inputs");
  const Tensor& a = xs[0];
  for (size_t i = 0; i < xs.size(); ++i) {
    const Tensor& t = xs[i];
    fbd::detail::check_float(t, "concat_channels");
    fbd::detail::check_same_device(a, t, "concat_channels");
    FBD_CHECK(t.dim() == 4, "concat_channels: input ", i, " has shape ", shape_str(t.shape()),
              ", expected [N, C, H, W]");
    FBD_CHECK(t.shape()[0] == a.shape()[0] && t.shape()[2] == a.shape()[2] && t.shape()[3] == a.shape()[3],
              "concat_channels: input ", i, " has shape ", shape_str(t.shape()), " but input 0 has ",
              shape_str(a.shape()), " (batch and spatial sizes must match)");
  }
  if (xs.size() == 1) return xs[0];
  return concat(xs, 1);
}

}  // namespace fbd::nn
