#include "layers/flatten.h"

namespace fbd::nn {

Tensor flatten(const Tensor& x) {
  FBD_CHECK(x.defined(), "flatten: input undefined");
  FBD_CHECK(x.dim() >= 2, "flatten: expected input [N, ...] with at least 2 dimensions, got shape ",
            shape_str(x.shape()));
  int64_t rest = 1;
  for (int i = 1; i < x.dim(); ++i) rest *= x.shape()[size_t(i)];
  return x.reshape({x.shape()[0], rest});
}

}  // namespace fbd::nn
