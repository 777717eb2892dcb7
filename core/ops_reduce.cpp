// Reductions over kernels/reduce: whole-tensor and per-axis sum and mean, and sum_to_shape
// (the adjoint of broadcasting).
#include <algorithm>

#include "core/autograd.h"
#include "core/op_util.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "kernels/reduce_kernels.h"

namespace fbd {

namespace {

// One dimension run of the input after merging neighbours: its size and whether it is summed.
struct Run {
  int64_t size;
  bool reduced;
};

std::vector<Run> merge_runs(std::vector<Run> runs) {
  std::vector<Run> out;
  for (const Run& r : runs) {
    if (r.size == 1) continue;  // size-1 axes neither add work nor change the layout
    if (!out.empty() && out.back().reduced == r.reduced) {
      out.back().size *= r.size;
    } else {
      out.push_back(r);
    }
  }
  return out;
}

// out[o, i] = scale * sum_r in[o, r, i] on the tensor's device.
Tensor reduce_pass(const Tensor& in, int64_t outer, int64_t R, int64_t inner, float scale) {
  Tensor out = Tensor::empty({outer * inner}, DType::F32, in.device());
  detail::dispatch(
      in, "sum", [&] { kernels::reduce_sum_cpu(in.data<float>(), out.data<float>(), outer, R, inner, scale); },
      [&](kernels::Stream s) {
        detail::Workspace ws(kernels::reduce_sum_workspace_bytes(outer, R, inner), in.device());
        return kernels::reduce_sum_cuda(in.data<float>(), out.data<float>(), outer, R, inner, scale, ws.get(), s);
      });
  return out;
}

// Sums the axes flagged in `reduce` (one flag per axis of x), scaling by `scale`; returns a
// tensor of the kept axes' sizes, flattened. Repeatedly reduces the rightmost summed run as a
// [outer, R, inner] problem, so [N,C,H,W] over {0,2,3} is two passes: H*W, then N.
Tensor reduce_axes(const Tensor& x, const std::vector<bool>& reduce, float scale) {
  std::vector<Run> runs;
  for (size_t k = 0; k < reduce.size(); ++k) runs.push_back({x.shape()[k], reduce[k]});
  runs = merge_runs(runs);
  Tensor cur = x;
  auto has_reduced = [](const std::vector<Run>& rs) {
    return std::any_of(rs.begin(), rs.end(), [](const Run& r) { return r.reduced; });
  };
  if (!has_reduced(runs) || x.numel() == 0) {
    int64_t kept = 1;
    for (size_t k = 0; k < reduce.size(); ++k)
      if (!reduce[k]) kept *= x.shape()[k];
    if (x.numel() == 0) return Tensor::zeros({kept}, DType::F32, x.device());
    return mul_scalar(x.reshape({kept}), scale);
  }
  while (has_reduced(runs)) {
    size_t j = runs.size();
    while (!runs[--j].reduced) {
    }
    int64_t outer = 1, inner = 1;
    for (size_t k = 0; k < j; ++k) outer *= runs[k].size;
    for (size_t k = j + 1; k < runs.size(); ++k) inner *= runs[k].size;
    const int64_t R = runs[j].size;
    runs.erase(runs.begin() + long(j));
    runs = merge_runs(runs);
    cur = reduce_pass(cur, outer, R, inner, has_reduced(runs) ? 1.0f : scale);
  }
  return cur;
}

Tensor reduce_op(const char* name, const Tensor& x, const std::vector<int>& axes, bool keepdim, bool mean) {
  detail::check_float(x, name);
  profiler::Scope scope(name, x.device());
  const int nd = x.dim();
  std::vector<bool> reduce(size_t(nd), false);
  for (int a : axes) {
    const int k = detail::normalize_axis(a, nd, name);
    FBD_CHECK(!reduce[size_t(k)], name, ": axis ", a, " given twice");
    reduce[size_t(k)] = true;
  }
  int64_t count = 1;
  Shape out_shape, keep_shape;
  for (int k = 0; k < nd; ++k) {
    if (reduce[size_t(k)]) {
      count *= x.shape()[size_t(k)];
      keep_shape.push_back(1);
      if (keepdim) out_shape.push_back(1);
    } else {
      keep_shape.push_back(x.shape()[size_t(k)]);
      out_shape.push_back(x.shape()[size_t(k)]);
    }
  }
  FBD_CHECK(!mean || count > 0, name, ": mean over an empty set of elements");
  const float scale = mean ? 1.0f / float(count) : 1.0f;
  Tensor out;
  {
    NoGradGuard no_grad;
    out = reduce_axes(x, reduce, scale).reshape(out_shape);
  }
  scope.add_bytes(x.nbytes() + out.nbytes());
  if (needs_grad({&x})) {
    const Shape in_shape = x.shape();
    record(out, name, {x}, [in_shape, keep_shape, scale](const Tensor& g) {
      // Scale the small gradient, then broadcast it: one pass over the input's size, not two.
      const Tensor gs = scale == 1.0f ? g : mul_scalar(g, scale);
      return std::vector<Tensor>{broadcast_to(gs.reshape(keep_shape), in_shape)};
    });
  }
  return out;
}

std::vector<int> all_axes(const Tensor& x) {
  std::vector<int> axes(size_t(x.dim()));
  for (int k = 0; k < x.dim(); ++k) axes[size_t(k)] = k;
  return axes;
}

}  // namespace

Tensor sum(const Tensor& x) { return reduce_op("sum", x, all_axes(x), false, false); }
Tensor mean(const Tensor& x) { return reduce_op("mean", x, all_axes(x), false, true); }
Tensor sum(const Tensor& x, const std::vector<int>& axes, bool keepdim) {
  return reduce_op("sum", x, axes, keepdim, false);
}
Tensor mean(const Tensor& x, const std::vector<int>& axes, bool keepdim) {
  return reduce_op("mean", x, axes, keepdim, true);
}

Tensor sum_to_shape(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  const size_t nd = g.shape().size();
  FBD_CHECK(shape.size() <= nd, "sum_to_shape: cannot reduce ", shape_str(g.shape()), " to ", shape_str(shape));
  std::vector<bool> reduce(nd, false);
  for (size_t k = 0; k < nd; ++k) {
    if (k + shape.size() < nd) {
      reduce[k] = true;  // leading axes the target does not have
    } else {
      const int64_t t = shape[k + shape.size() - nd];
      FBD_CHECK(t == g.shape()[k] || t == 1, "sum_to_shape: cannot reduce ", shape_str(g.shape()), " to ",
                shape_str(shape));
      reduce[k] = (t == 1 && g.shape()[k] != 1);
    }
  }
  NoGradGuard no_grad;
  return reduce_axes(g, reduce, 1.0f).reshape(shape);
}

}  // namespace fbd
