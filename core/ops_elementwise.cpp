// Elementwise ops: unary maps and broadcasting binary ops, over kernels/elementwise.
#include "core/autograd.h"
#include "core/op_util.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "kernels/copy_kernels.h"
#include "kernels/elementwise_kernels.h"

namespace fbd {

using kernels::BinaryOp;
using kernels::UnaryOp;
using kernels::UnaryParams;

namespace {

// gx = gy * f'(x, y): one fused backward kernel per unary op.
Tensor unary_backward(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& gy, UnaryParams p) {
  const char* name = kernels::unary_op_name(op);
  Tensor gx = Tensor::empty(x.shape(), DType::F32, x.device());
  const int64_t n = x.numel();
  detail::dispatch(
      x, name,
      [&] {
        kernels::unary_backward_cpu(op, x.data<float>(), y.data<float>(), gy.data<float>(), gx.data<float>(), n, p);
      },
      [&](kernels::Stream s) {
        kernels::unary_backward_cuda(op, x.data<float>(), y.data<float>(), gy.data<float>(), gx.data<float>(), n, p, s);
      });
  return gx;
}

Tensor unary(UnaryOp op, const Tensor& x, UnaryParams p = {}) {
  const char* name = kernels::unary_op_name(op);
  detail::check_float(x, name);
  profiler::Scope scope(name, x.device());
  Tensor y = Tensor::empty(x.shape(), DType::F32, x.device());
  const int64_t n = x.numel();
  detail::dispatch(
      x, name, [&] { kernels::unary_forward_cpu(op, x.data<float>(), y.data<float>(), n, p); },
      [&](kernels::Stream s) { kernels::unary_forward_cuda(op, x.data<float>(), y.data<float>(), n, p, s); });
  scope.add_bytes(2 * x.nbytes());
  if (needs_grad({&x})) {
    Tensor xs = x.detach(), ys = y.detach();
    record(y, name, {x},
           [op, xs, ys, p](const Tensor& g) { return std::vector<Tensor>{unary_backward(op, xs, ys, g, p)}; });
  }
  return y;
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = kernels::binary_op_name(op);
  detail::check_float(a, name);
  detail::check_float(b, name);
  detail::check_same_device(a, b, name);
  profiler::Scope scope(name, a.device());
  const bool same = a.shape() == b.shape();
  const Shape out_shape = same ? a.shape() : broadcast_shapes(a.shape(), b.shape());
  Tensor out = Tensor::empty(out_shape, DType::F32, a.device());
  if (same) {
    const int64_t n = a.numel();
    detail::dispatch(
        a, name, [&] { kernels::binary_cpu(op, a.data<float>(), b.data<float>(), out.data<float>(), n); },
        [&](kernels::Stream s) {
          kernels::binary_cuda(op, a.data<float>(), b.data<float>(), out.data<float>(), n, s);
        });
  } else {
    // Strides of a and b seen through the output's shape: 0 along broadcast dimensions.
    const size_t nd = out_shape.size();
    std::vector<int64_t> sa(nd, 0), sb(nd, 0);
    const auto ca = detail::contiguous_strides(a.shape()), cb = detail::contiguous_strides(b.shape());
    for (size_t k = 0; k < nd; ++k) {
      const size_t ka = k + a.shape().size() - nd, kb = k + b.shape().size() - nd;  // wraps when absent
      if (k + a.shape().size() >= nd && a.shape()[ka] != 1) sa[k] = ca[ka];
      if (k + b.shape().size() >= nd && b.shape()[kb] != 1) sb[k] = cb[kb];
    }
    const kernels::StridedDims d = detail::coalesce(out_shape, sa, sb);
    detail::dispatch(
        a, name, [&] { kernels::binary_broadcast_cpu(op, a.data<float>(), b.data<float>(), out.data<float>(), d); },
        [&](kernels::Stream s) {
          kernels::binary_broadcast_cuda(op, a.data<float>(), b.data<float>(), out.data<float>(), d, s);
        });
  }
  scope.add_bytes(a.nbytes() + b.nbytes() + out.nbytes());

  if (needs_grad({&a, &b})) {
    const Shape sa = a.shape(), sb = b.shape();
    const bool ga = a.requires_grad(), gb = b.requires_grad();
    Tensor ad = a.detach(), bd = b.detach();
    record(out, name, {a, b}, [op, sa, sb, ga, gb, ad, bd](const Tensor& g) {
      Tensor da, db;
      // One rule per row of FBD_BINARY_OPS; an op without one does not compile.
      kernels::dispatch_binary(op, [&]<BinaryOp OP>() {
        if constexpr (OP == BinaryOp::Add) {
          if (ga) da = sum_to_shape(g, sa);
          if (gb) db = sum_to_shape(g, sb);
        } else if constexpr (OP == BinaryOp::Sub) {
          if (ga) da = sum_to_shape(g, sa);
          if (gb) db = neg(sum_to_shape(g, sb));
        } else if constexpr (OP == BinaryOp::Mul) {
          if (ga) da = sum_to_shape(mul(g, bd), sa);
          if (gb) db = sum_to_shape(mul(g, ad), sb);
        } else if constexpr (OP == BinaryOp::Div) {  // d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
          if (ga) da = sum_to_shape(div(g, bd), sa);
          if (gb) db = neg(sum_to_shape(div(mul(g, ad), mul(bd, bd)), sb));
        } else {
          static_assert(kernels::always_false<OP>, "binary backward: no gradient rule for this BinaryOp");
        }
      });
      return std::vector<Tensor>{da, db};
    });
  }
  return out;
}

}  // namespace

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  const size_t nd = std::max(a.size(), b.size());
  Shape out(nd);
  for (size_t k = 0; k < nd; ++k) {
    const int64_t da = k + a.size() >= nd ? a[k + a.size() - nd] : 1;
    const int64_t db = k + b.size() >= nd ? b[k + b.size() - nd] : 1;
    FBD_CHECK(da == db || da == 1 || db == 1, "shapes ", shape_str(a), " and ", shape_str(b), " cannot be broadcast");
    out[k] = da == 1 ? db : da;
  }
  return out;
}

Tensor add(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Add, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Sub, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Mul, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary(BinaryOp::Div, a, b); }

Tensor neg(const Tensor& x) { return unary(UnaryOp::Neg, x); }
Tensor exp(const Tensor& x) { return unary(UnaryOp::Exp, x); }
Tensor log(const Tensor& x) { return unary(UnaryOp::Log, x); }
Tensor sqrt(const Tensor& x) { return unary(UnaryOp::Sqrt, x); }
Tensor abs(const Tensor& x) { return unary(UnaryOp::Abs, x); }
Tensor sigmoid(const Tensor& x) { return unary(UnaryOp::Sigmoid, x); }
Tensor tanh(const Tensor& x) { return unary(UnaryOp::Tanh, x); }
Tensor relu(const Tensor& x) { return unary(UnaryOp::Relu, x); }
Tensor pow(const Tensor& x, float exponent) { return unary(UnaryOp::Pow, x, {exponent, 0.0f}); }
Tensor clamp(const Tensor& x, float lo, float hi) {
  FBD_CHECK(lo <= hi, "clamp: lower bound ", lo, " above upper bound ", hi);
  return unary(UnaryOp::Clamp, x, {lo, hi});
}
Tensor add_scalar(const Tensor& x, float s) { return unary(UnaryOp::AddScalar, x, {s, 0.0f}); }
Tensor mul_scalar(const Tensor& x, float s) { return unary(UnaryOp::MulScalar, x, {s, 0.0f}); }

void fill_(Tensor& x, float value) {
  detail::check_float(x, "fill");
  profiler::Scope scope("fill", x.device());
  const int64_t n = x.numel();
  detail::dispatch(
      x, "fill", [&] { kernels::fill_f32_cpu(x.data<float>(), n, value); },
      [&](kernels::Stream s) { kernels::fill_f32_cuda(x.data<float>(), n, value, s); });
  scope.add_bytes(x.nbytes());
}

}  // namespace fbd
