// Multi-class softmax losses (Dice, focal, boundary and their compound) over
// kernels/softmax_loss, and the per-class signed distance maps.
#include <cmath>

#include "core/autograd.h"
#include "core/op_util.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "kernels/softmax_loss_kernels.h"
#include "losses/edt.h"
#include "losses/loss_util.h"
#include "losses/losses.h"

namespace fbd {

namespace {

struct McGeometry {
  int64_t N, K, H, W;
};

McGeometry check_mc_logits(const Tensor& logits, const char* op) {
  FBD_CHECK(logits.defined(), op, ": logits undefined");
  FBD_CHECK(logits.dtype() == DType::F32, op, ": logits must be float32, got ", dtype_name(logits.dtype()));
  FBD_CHECK(logits.dim() == 4, op, ": logits must be [N, K, H, W], got ", shape_str(logits.shape()));
  const McGeometry g{logits.size(0), logits.size(1), logits.size(2), logits.size(3)};
  FBD_CHECK(g.K >= 2 && g.K <= kernels::kMaxClasses, op, ": between 2 and ", kernels::kMaxClasses,
            " classes supported, got ", g.K);
  FBD_CHECK(logits.numel() > 0, op, ": logits ", shape_str(logits.shape()), " are empty");
  return g;
}

// Labels as float32 [N, H, W] (class indices; validated by the kernel's bad count).
Tensor check_labels(const Tensor& labels, const McGeometry& g, const Tensor& logits, const char* op) {
  FBD_CHECK(labels.defined(), op, ": labels undefined");
  const MaskGeometry lg = mask_geometry(labels, op);
  FBD_CHECK(lg.n == g.N && lg.h == g.H && lg.w == g.W, op, ": logits ", shape_str(logits.shape()), " and labels ",
            shape_str(labels.shape()), " differ in batch or image size");
  FBD_CHECK(labels.device() == logits.device(), op, ": logits on ", logits.device().str(), " but labels on ",
            labels.device().str());
  FBD_CHECK(labels.dtype() == DType::F32 || labels.dtype() == DType::U8 || labels.dtype() == DType::I32, op,
            ": labels must be float32, uint8 or int32, got ", dtype_name(labels.dtype()));
  return labels.dtype() == DType::F32 ? labels.detach() : labels.to_dtype(DType::F32);
}

kernels::SoftmaxLossParams mc_params(const SoftmaxLossOptions& o, int K, const char* op) {
  FBD_CHECK(o.dice.eps_den > 0.0f && std::isfinite(o.dice.eps_den), op, ": eps_den must be > 0, got ", o.dice.eps_den);
  FBD_CHECK(o.dice.eps_num >= 0.0f && std::isfinite(o.dice.eps_num), op, ": eps_num must be >= 0, got ",
            o.dice.eps_num);
  FBD_CHECK(o.gamma >= 0.0f && std::isfinite(o.gamma), op, ": gamma must be >= 0, got ", o.gamma);
  detail::check_finite_param(o.w_dice, op, "w_dice");
  detail::check_finite_param(o.w_focal, op, "w_focal");
  detail::check_finite_param(o.w_boundary, op, "w_boundary");
  FBD_CHECK(o.class_weights.empty() || int(o.class_weights.size()) == K, op, ": ", o.class_weights.size(),
            " class weights for ", K, " classes");
  FBD_CHECK(o.include_background || K > 1, op, ": excluding the background leaves no class");
  kernels::SoftmaxLossParams p;
  p.classes = K;
  p.w_dice = o.w_dice;
  p.w_focal = o.w_focal;
  p.w_bd = o.w_boundary;
  p.eps_num = o.dice.eps_num;
  p.eps_den = o.dice.eps_den;
  p.squared = o.dice.squared;
  p.batch = o.dice.batch;
  p.include_background = o.include_background;
  p.gamma = o.gamma;
  for (int k = 0; k < K; ++k) {
    p.class_weight[k] = o.class_weights.empty() ? 1.0f : o.class_weights[size_t(k)];
    detail::check_finite_param(p.class_weight[k], op, "class weight");
  }
  return p;
}

Tensor softmax_op(const char* op, const Tensor& logits, const Tensor& labels, const Tensor& class_sdm,
                  const SoftmaxLossOptions& opt) {
  const McGeometry geo = check_mc_logits(logits, op);
  const kernels::SoftmaxLossParams prm = mc_params(opt, int(geo.K), op);
  const int64_t N = geo.N, K = geo.K, HW = geo.H * geo.W;
  const Device dev = logits.device();
  // The boundary term alone needs no labels: it reads class 0 everywhere, which is valid.
  const Tensor y =
      labels.defined() ? check_labels(labels, geo, logits, op) : Tensor::zeros({N, geo.H, geo.W}, DType::F32, dev);
  const bool bd = opt.w_boundary != 0.0f;
  Tensor phi;
  if (bd) {
    FBD_CHECK(class_sdm.defined(), op, ": the boundary term needs the per-class signed distance maps");
    FBD_CHECK(class_sdm.shape() == logits.shape(), op, ": logits ", shape_str(logits.shape()),
              " and class distance maps ", shape_str(class_sdm.shape()), " differ in shape");
    FBD_CHECK(class_sdm.dtype() == DType::F32 && class_sdm.device() == dev, op,
              ": class distance maps must be float32 on the logits' device");
    phi = class_sdm.detach();
  }
  profiler::Scope scope(op, dev);
  const Tensor z = logits.detach();
  const int S = kernels::softmax_stat_count(int(K));
  Tensor sums = Tensor::empty({(N + 1) * S}, DType::F32, dev);
  Tensor value = Tensor::empty({}, DType::F32, dev);
  const float* phip = bd ? phi.data<float>() : nullptr;
  detail::dispatch(
      z, op,
      [&] {
        kernels::softmax_loss_forward_cpu(z.data<float>(), y.data<float>(), phip, N, HW, prm, sums.data<float>(),
                                          value.data<float>());
      },
      [&](kernels::Stream s) {
        detail::Workspace ws(kernels::softmax_loss_workspace_bytes(N, HW, int(K)), dev);
        return kernels::softmax_loss_forward_cuda(z.data<float>(), y.data<float>(), phip, N, HW, prm,
                                                  sums.data<float>(), value.data<float>(), ws.get(), s);
      });
  scope.add_bytes(size_t(N * HW) * size_t(4 * K + 4 + (bd ? 4 * K : 0)));
  detail::report_bad_inputs(op, sums, N * S + 4 * K + 1,
                            {{&logits, "logits", detail::Expect::Finite},
                             {labels.defined() ? &labels : nullptr, "labels", detail::Expect::ClassIndex, int(K)},
                             {bd ? &class_sdm : nullptr, "class distance maps", detail::Expect::Finite}});
  if (needs_grad({&logits})) {
    record(value, op, {logits}, [op, z, y, phi, sums, prm, N, HW](const Tensor& go) {
      Tensor dz = Tensor::empty(z.shape(), DType::F32, z.device());
      const float* phip = phi.defined() ? phi.data<float>() : nullptr;
      detail::dispatch(
          z, op,
          [&] {
            kernels::softmax_loss_backward_cpu(z.data<float>(), y.data<float>(), phip, N, HW, prm, sums.data<float>(),
                                               go.data<float>(), dz.data<float>());
          },
          [&](kernels::Stream s) {
            kernels::softmax_loss_backward_cuda(z.data<float>(), y.data<float>(), phip, N, HW, prm, sums.data<float>(),
                                                go.data<float>(), dz.data<float>(), s);
          });
      return std::vector<Tensor>{dz};
    });
  }
  return value;
}

}  // namespace

Tensor softmax_loss(const Tensor& logits, const Tensor& labels, const Tensor& class_sdm,
                    const SoftmaxLossOptions& opt) {
  FBD_CHECK(labels.defined() || (opt.w_dice == 0.0f && opt.w_focal == 0.0f), "softmax_loss: labels undefined");
  return softmax_op("softmax_loss", logits, labels, class_sdm, opt);
}

Tensor softmax_dice_loss(const Tensor& logits, const Tensor& labels, const DiceOptions& opt, bool include_background) {
  SoftmaxLossOptions o;
  o.w_dice = 1.0f;
  o.dice = opt;
  o.include_background = include_background;
  return softmax_op("softmax_dice_loss", logits, labels, Tensor(), o);
}

Tensor softmax_focal_loss(const Tensor& logits, const Tensor& labels, float gamma,
                          const std::vector<float>& class_weights) {
  SoftmaxLossOptions o;
  o.w_dice = 0.0f;
  o.w_focal = 1.0f;
  o.gamma = gamma;
  o.class_weights = class_weights;
  return softmax_op("softmax_focal_loss", logits, labels, Tensor(), o);
}

Tensor softmax_boundary_loss(const Tensor& logits, const Tensor& class_sdm, bool include_background) {
  SoftmaxLossOptions o;
  o.w_dice = 0.0f;
  o.w_boundary = 1.0f;
  o.include_background = include_background;
  return softmax_op("softmax_boundary_loss", logits, Tensor(), class_sdm, o);
}

SoftmaxLossOptions softmax_fbd_defaults() {
  SoftmaxLossOptions o;
  o.w_dice = 0.5f;
  o.w_focal = 0.3f;
  o.w_boundary = 0.2f;
  return o;
}

Tensor softmax_focal_boundary_dice_loss(const Tensor& logits, const Tensor& labels, const Tensor& class_sdm,
                                        const SoftmaxLossOptions& opt) {
  return softmax_op("softmax_focal_boundary_dice_loss", logits, labels, class_sdm, opt);
}

Tensor class_signed_distance_maps(const Tensor& labels, int classes, float spacing_y, float spacing_x) {
  const char* op = "class_signed_distance_maps";
  FBD_CHECK(classes >= 2 && classes <= kernels::kMaxClasses, op, ": between 2 and ", kernels::kMaxClasses,
            " classes supported, got ", classes);
  const MaskGeometry g = mask_geometry(labels, op);
  const Tensor host = labels.cpu().to_dtype(DType::F32);
  const float* y = host.data<float>();
  const int64_t HW = g.h * g.w;
  for (int64_t i = 0; i < host.numel(); ++i)
    FBD_CHECK(y[i] >= 0.0f && y[i] < float(classes) && y[i] == std::floor(y[i]), op,
              ": labels must be class indices 0..", classes - 1, ", found ", y[i], " at index ", i);
  // One-hot planes, [N, K, H, W] as (N K) images, through the exact EDT of losses/edt.h.
  std::vector<float> onehot(static_cast<size_t>(g.n * classes * HW));
  for (int64_t n = 0; n < g.n; ++n)
    for (int k = 0; k < classes; ++k)
      for (int64_t i = 0; i < HW; ++i)
        onehot[size_t((n * classes + k) * HW + i)] = y[n * HW + i] == float(k) ? 1.0f : 0.0f;
  const Tensor masks = Tensor::from_vector(onehot, {g.n * classes, g.h, g.w});
  return signed_distance_map(masks, spacing_y, spacing_x).reshape({g.n, classes, g.h, g.w}).to(labels.device());
}

}  // namespace fbd
