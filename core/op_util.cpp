#include "core/op_util.h"

namespace fbd::detail {

void check_float(const Tensor& t, const char* op) {
  FBD_CHECK(t.defined(), op, ": undefined tensor");
  FBD_CHECK(t.dtype() == DType::F32, op, ": expected a float32 tensor, got ", dtype_name(t.dtype()));
}

void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  FBD_CHECK(a.device() == b.device(), op, ": tensors on different devices (", a.device().str(), " and ",
            b.device().str(), ")");
}

int normalize_axis(int axis, int ndim, const char* op) {
  const int a = axis < 0 ? axis + ndim : axis;
  FBD_CHECK(a >= 0 && a < ndim, op, ": axis ", axis, " out of range for a ", ndim, "-d tensor");
  return a;
}

std::vector<int64_t> contiguous_strides(const Shape& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int k = int(shape.size()) - 2; k >= 0; --k) s[k] = s[k + 1] * shape[k + 1];
  return s;
}

kernels::StridedDims coalesce(const std::vector<int64_t>& sizes, const std::vector<int64_t>& stride_a,
                              const std::vector<int64_t>& stride_b) {
  std::vector<int64_t> n, sa, sb;
  for (size_t k = 0; k < sizes.size(); ++k) {
    if (sizes[k] == 1) continue;
    if (!n.empty() && sa.back() == stride_a[k] * sizes[k] && sb.back() == stride_b[k] * sizes[k]) {
      n.back() *= sizes[k];  // dimension k continues the previous one in both operands
      sa.back() = stride_a[k];
      sb.back() = stride_b[k];
      continue;
    }
    n.push_back(sizes[k]);
    sa.push_back(stride_a[k]);
    sb.push_back(stride_b[k]);
  }
  FBD_CHECK(int(n.size()) <= kernels::kMaxDims, "tensor rank above ", kernels::kMaxDims, " after merging dimensions");
  kernels::StridedDims d;
  d.ndim = int(n.size());
  for (int k = 0; k < d.ndim; ++k) {
    d.shape[k] = n[k];
    d.stride_a[k] = sa[k];
    d.stride_b[k] = sb[k];
  }
  return d;
}

Workspace::Workspace(size_t bytes, Device device) {
  if (bytes > 0) t_ = Tensor::empty({int64_t((bytes + 3) / 4)}, DType::F32, device);
}

}  // namespace fbd::detail
