// Shape ops over kernels/copy: concat, slice, broadcast_to, transpose2d. All copy into a new
// contiguous tensor (reshape and narrow0, the views, are in tensor.cpp).
#include <numeric>

#include "core/autograd.h"
#include "core/op_util.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "kernels/copy_kernels.h"

namespace fbd {

namespace {

// dst[dst_off + sum_k i_k dst_strides[k]] = src[src_off + sum_k i_k src_strides[k]] for every
// index i of `sizes` (offsets and strides in elements).
void strided_copy(const Tensor& src, int64_t src_off, const std::vector<int64_t>& src_strides, const Tensor& dst,
                  int64_t dst_off, const std::vector<int64_t>& dst_strides, const Shape& sizes, const char* op) {
  if (shape_numel(sizes) == 0) return;
  const size_t es = dtype_size(src.dtype());
  const kernels::StridedDims d = detail::coalesce(sizes, src_strides, dst_strides);
  const char* s = static_cast<const char*>(src.raw_data()) + src_off * int64_t(es);
  char* o = static_cast<char*>(dst.raw_data()) + dst_off * int64_t(es);
  detail::dispatch(
      src, op, [&] { kernels::strided_copy_cpu(s, o, es, d); },
      [&](kernels::Stream st) { kernels::strided_copy_cuda(s, o, es, d, st); });
}

}  // namespace

Tensor slice(const Tensor& x, int axis, int64_t start, int64_t end) {
  const int ax = detail::normalize_axis(axis, x.dim(), "slice");
  const int64_t n = x.shape()[size_t(ax)];
  FBD_CHECK(0 <= start && start <= end && end <= n, "slice: range [", start, ", ", end, ") out of bounds for axis ",
            axis, " of size ", n);
  profiler::Scope scope("slice", x.device());
  Shape out_shape = x.shape();
  out_shape[size_t(ax)] = end - start;
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
  const auto xs = detail::contiguous_strides(x.shape());
  strided_copy(x, start * xs[size_t(ax)], xs, out, 0, detail::contiguous_strides(out_shape), out_shape, "slice");
  scope.add_bytes(2 * out.nbytes());
  if (x.dtype() == DType::F32 && needs_grad({&x})) {
    const Shape in_shape = x.shape();
    record(out, "slice", {x}, [in_shape, ax, start](const Tensor& g) {
      Tensor gx = Tensor::zeros(in_shape, DType::F32, g.device());
      const auto gs = detail::contiguous_strides(in_shape);
      strided_copy(g, 0, detail::contiguous_strides(g.shape()), gx, start * gs[size_t(ax)], gs, g.shape(), "slice");
      return std::vector<Tensor>{gx};
    });
  }
  return out;
}

Tensor concat(const std::vector<Tensor>& xs, int axis) {
  FBD_CHECK(!xs.empty(), "concat: no tensors");
  const Tensor& first = xs[0];
  const int ax = detail::normalize_axis(axis, first.dim(), "concat");
  Shape out_shape = first.shape();
  out_shape[size_t(ax)] = 0;
  for (const Tensor& t : xs) {
    FBD_CHECK(t.dim() == first.dim() && t.dtype() == first.dtype(), "concat: tensors differ in rank or dtype (",
              shape_str(first.shape()), " ", dtype_name(first.dtype()), " vs ", shape_str(t.shape()), " ",
              dtype_name(t.dtype()), ")");
    detail::check_same_device(first, t, "concat");
    for (int k = 0; k < first.dim(); ++k) {
      FBD_CHECK(k == ax || t.shape()[size_t(k)] == first.shape()[size_t(k)], "concat: shapes ",
                shape_str(first.shape()), " and ", shape_str(t.shape()), " differ outside axis ", axis);
    }
    out_shape[size_t(ax)] += t.shape()[size_t(ax)];
  }
  profiler::Scope scope("concat", first.device());
  Tensor out = Tensor::empty(out_shape, first.dtype(), first.device());
  const auto os = detail::contiguous_strides(out_shape);
  int64_t offset = 0;
  for (const Tensor& t : xs) {
    strided_copy(t, 0, detail::contiguous_strides(t.shape()), out, offset * os[size_t(ax)], os, t.shape(), "concat");
    offset += t.shape()[size_t(ax)];
  }
  scope.add_bytes(2 * out.nbytes());
  if (first.dtype() == DType::F32 && needs_grad(xs)) {
    std::vector<int64_t> sizes;
    for (const Tensor& t : xs) sizes.push_back(t.shape()[size_t(ax)]);
    record(out, "concat", xs, [sizes, ax](const Tensor& g) {
      std::vector<Tensor> grads;
      int64_t start = 0;
      for (int64_t s : sizes) {
        grads.push_back(slice(g, ax, start, start + s));
        start += s;
      }
      return grads;
    });
  }
  return out;
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  FBD_CHECK(broadcast_shapes(x.shape(), shape) == shape, "broadcast_to: ", shape_str(x.shape()),
            " cannot be broadcast to ", shape_str(shape));
  if (x.shape() == shape) return x;
  profiler::Scope scope("broadcast_to", x.device());
  Tensor out = Tensor::empty(shape, x.dtype(), x.device());
  const size_t nd = shape.size(), xd = x.shape().size();
  const auto xs = detail::contiguous_strides(x.shape());
  std::vector<int64_t> src(nd, 0);
  for (size_t k = nd - xd; k < nd; ++k)
    if (x.shape()[k - (nd - xd)] != 1) src[k] = xs[k - (nd - xd)];
  strided_copy(x, 0, src, out, 0, detail::contiguous_strides(shape), shape, "broadcast_to");
  scope.add_bytes(x.nbytes() + out.nbytes());
  if (x.dtype() == DType::F32 && needs_grad({&x})) {
    const Shape in_shape = x.shape();
    record(out, "broadcast_to", {x},
           [in_shape](const Tensor& g) { return std::vector<Tensor>{sum_to_shape(g, in_shape)}; });
  }
  return out;
}

Tensor transpose2d(const Tensor& x) {
  FBD_CHECK(x.dim() == 2, "transpose2d: expected a 2-d tensor, got shape ", shape_str(x.shape()));
  profiler::Scope scope("transpose2d", x.device());
  const int64_t m = x.shape()[0], n = x.shape()[1];
  Tensor out = Tensor::empty({n, m}, x.dtype(), x.device());
  strided_copy(x, 0, {1, n}, out, 0, {m, 1}, {n, m}, "transpose2d");
  scope.add_bytes(2 * out.nbytes());
  if (x.dtype() == DType::F32 && needs_grad({&x})) {
    record(out, "transpose2d", {x}, [](const Tensor& g) { return std::vector<Tensor>{transpose2d(g)}; });
  }
  return out;
}

Tensor reshape(const Tensor& x, const Shape& shape) { return x.reshape(shape); }

}  // namespace fbd
