// Shape-aware loss (paper Eq. 11-14) over kernels/shape_loss: compactness, the contour and
// background bands, the mask-averaged embeddings and the smoothness term.
#include <cmath>

#include "core/autograd.h"
#include "core/op_util.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "kernels/shape_loss_kernels.h"
#include "losses/loss_util.h"
#include "losses/losses.h"

namespace fbd {

Tensor compactness_loss(const Tensor& logits, float o) {
  const char* op = "compactness_loss";
  const MaskGeometry geo = detail::check_logits(logits, op);
  FBD_CHECK(o > 0.0f && std::isfinite(o), op, ": o must be > 0, got ", o);
  const Device dev = logits.device();
  const int64_t N = geo.n, H = geo.h, W = geo.w;
  profiler::Scope scope(op, dev);
  const Tensor z = logits.detach();
  Tensor sums = Tensor::empty({(N + 1) * kernels::kCompactStats}, DType::F32, dev);
  Tensor value = Tensor::empty({}, DType::F32, dev);
  detail::dispatch(
      z, op,
      [&] { kernels::compactness_forward_cpu(z.data<float>(), N, H, W, o, sums.data<float>(), value.data<float>()); },
      [&](kernels::Stream s) {
        detail::Workspace ws(kernels::compactness_workspace_bytes(N, H * W), dev);
        return kernels::compactness_forward_cuda(z.data<float>(), N, H, W, o, sums.data<float>(), value.data<float>(),
                                                 ws.get(), s);
      });
  scope.add_bytes(z.nbytes());
  detail::report_bad_inputs(op, sums, N * kernels::kCompactStats + kernels::kCpBad,
                            {{&logits, "logits", detail::Expect::Finite}});
  if (needs_grad({&logits})) {
    record(value, op, {logits}, [op, z, sums, N, H, W, o](const Tensor& go) {
      Tensor dz = Tensor::empty(z.shape(), DType::F32, z.device());
      detail::dispatch(
          z, op,
          [&] {
            kernels::compactness_backward_cpu(z.data<float>(), N, H, W, o, sums.data<float>(), go.data<float>(),
                                              dz.data<float>());
          },
          [&](kernels::Stream s) {
            kernels::compactness_backward_cuda(z.data<float>(), N, H, W, o, sums.data<float>(), go.data<float>(),
                                               dz.data<float>(), s);
          });
      return std::vector<Tensor>{dz};
    });
  }
  return value;
}

Tensor shape_aware_loss(const Tensor& logits, const Tensor& target, const ShapeAwareOptions& opt,
                        const Tensor& smooth) {
  const char* op = "shape_aware_loss";
  detail::check_finite_param(opt.beta, op, "beta");
  detail::check_finite_param(opt.eta, op, "eta");
  Tensor loss = add(bce_loss(logits, target), mul_scalar(compactness_loss(logits, opt.o), opt.beta));
  if (smooth.defined()) {
    FBD_CHECK(smooth.numel() == 1, op, ": the smoothness term must be a scalar, got ", shape_str(smooth.shape()));
    loss = add(loss, mul_scalar(smooth.reshape({}), opt.eta));
  }
  return loss;
}

std::pair<Tensor, Tensor> contour_bands(const Tensor& target) {
  const char* op = "contour_bands";
  const MaskGeometry geo = mask_geometry(target, op);
  check_binary_mask(target, op);
  const Tensor g = target.dtype() == DType::F32 ? target.detach() : target.to_dtype(DType::F32);
  profiler::Scope scope(op, g.device());
  Tensor c = Tensor::empty(g.shape(), DType::F32, g.device()), b = Tensor::empty(g.shape(), DType::F32, g.device());
  detail::dispatch(
      g, op,
      [&] { kernels::contour_bands_cpu(g.data<float>(), c.data<float>(), b.data<float>(), geo.n, geo.h, geo.w); },
      [&](kernels::Stream s) {
        kernels::contour_bands_cuda(g.data<float>(), c.data<float>(), b.data<float>(), geo.n, geo.h, geo.w, s);
      });
  scope.add_bytes(3 * g.nbytes());
  return {c, b};
}

Tensor masked_embeddings(const Tensor& features, const Tensor& target) {
  const char* op = "masked_embeddings";
  detail::check_float(features, op);
  FBD_CHECK(features.dim() == 4, op, ": features must be [N, C, H, W], got ", shape_str(features.shape()));
  const MaskGeometry geo = mask_geometry(target, op);
  const int64_t N = features.size(0), C = features.size(1), H = features.size(2), W = features.size(3);
  FBD_CHECK(geo.n == N && geo.h == H && geo.w == W, op, ": features ", shape_str(features.shape()), " and target ",
            shape_str(target.shape()), " differ in batch or image size");
  detail::check_same_device(features, target, op);
  const std::pair<Tensor, Tensor> bands = contour_bands(target);
  const Tensor cband = bands.first, bband = bands.second;  // named copies (handles): lambdas capture them
  const Device dev = features.device();
  const int64_t HW = H * W;
  profiler::Scope scope(op, dev);
  const Tensor T = features.detach();
  Tensor ec = Tensor::empty({N, C}, DType::F32, dev), eb = Tensor::empty({N, C}, DType::F32, dev);
  Tensor counts = Tensor::empty({N, 2}, DType::F32, dev);
  detail::dispatch(
      T, op,
      [&] {
        kernels::masked_means_forward_cpu(T.data<float>(), cband.data<float>(), bband.data<float>(), N, C, HW,
                                          ec.data<float>(), eb.data<float>(), counts.data<float>());
      },
      [&](kernels::Stream s) {
        kernels::masked_means_forward_cuda(T.data<float>(), cband.data<float>(), bband.data<float>(), N, C, HW,
                                           ec.data<float>(), eb.data<float>(), counts.data<float>(), s);
      });
  scope.add_bytes(T.nbytes() + 2 * cband.nbytes());
  Tensor out;
  {
    NoGradGuard no_grad;
    out = concat({ec.reshape({N, 1, C}), eb.reshape({N, 1, C})}, 1);
  }
  if (needs_grad({&features})) {
    const Shape fshape = features.shape();
    record(out, op, {features}, [op, cband, bband, counts, fshape, N, C, HW](const Tensor& go) {
      const Tensor gec = slice(go, 1, 0, 1), geb = slice(go, 1, 1, 2);
      Tensor dT = Tensor::empty(fshape, DType::F32, go.device());
      detail::dispatch(
          go, op,
          [&] {
            kernels::masked_means_backward_cpu(cband.data<float>(), bband.data<float>(), counts.data<float>(),
                                               gec.data<float>(), geb.data<float>(), N, C, HW, dT.data<float>());
          },
          [&](kernels::Stream s) {
            kernels::masked_means_backward_cuda(cband.data<float>(), bband.data<float>(), counts.data<float>(),
                                                gec.data<float>(), geb.data<float>(), N, C, HW, dT.data<float>(), s);
          });
      return std::vector<Tensor>{dT};
    });
  }
  return out;
}

std::pair<Tensor, Tensor> contour_embeddings(const Tensor& features, const Tensor& target) {
  const Tensor e = masked_embeddings(features, target);
  const int64_t N = e.size(0), C = e.size(2);
  return {slice(e, 1, 0, 1).reshape({N, C}), slice(e, 1, 1, 2).reshape({N, C})};
}

Tensor smoothness_loss(const Tensor& contour_proj, const Tensor& background_proj, float margin) {
  const char* op = "smoothness_loss";
  detail::check_float(contour_proj, op);
  detail::check_float(background_proj, op);
  detail::check_same_device(contour_proj, background_proj, op);
  FBD_CHECK(contour_proj.dim() == 2 && contour_proj.shape() == background_proj.shape(), op,
            ": contour and background embeddings must both be [N, D], got ", shape_str(contour_proj.shape()), " and ",
            shape_str(background_proj.shape()));
  FBD_CHECK(contour_proj.numel() > 0, op, ": empty embeddings");
  FBD_CHECK(margin >= 0.0f && std::isfinite(margin), op, ": margin must be >= 0, got ", margin);
  const int64_t N = contour_proj.size(0), D = contour_proj.size(1);
  const Device dev = contour_proj.device();
  profiler::Scope scope(op, dev);
  const Tensor xc = contour_proj.detach(), xb = background_proj.detach();
  Tensor value = Tensor::empty({}, DType::F32, dev);
  detail::dispatch(
      xc, op,
      [&] { kernels::smoothness_forward_cpu(xc.data<float>(), xb.data<float>(), N, D, margin, value.data<float>()); },
      [&](kernels::Stream s) {
        detail::Workspace ws(kernels::smoothness_workspace_bytes(N, D), dev);
        kernels::smoothness_forward_cuda(xc.data<float>(), xb.data<float>(), N, D, margin, value.data<float>(),
                                         ws.get(), s);
      });
  scope.add_bytes(2 * xc.nbytes());
  if (needs_grad({&contour_proj, &background_proj})) {
    record(value, op, {contour_proj, background_proj}, [op, xc, xb, N, D, margin](const Tensor& go) {
      Tensor dxc = Tensor::empty(xc.shape(), DType::F32, xc.device());
      Tensor dxb = Tensor::empty(xb.shape(), DType::F32, xb.device());
      detail::dispatch(
          xc, op,
          [&] {
            kernels::smoothness_backward_cpu(xc.data<float>(), xb.data<float>(), N, D, margin, go.data<float>(),
                                             dxc.data<float>(), dxb.data<float>());
          },
          [&](kernels::Stream s) {
            detail::Workspace ws(kernels::smoothness_workspace_bytes(N, D), xc.device());
            kernels::smoothness_backward_cuda(xc.data<float>(), xb.data<float>(), N, D, margin, go.data<float>(),
                                              dxc.data<float>(), dxb.data<float>(), ws.get(), s);
          });
      return std::vector<Tensor>{dxc, dxb};
    });
  }
  return value;
}

}  // namespace fbd
