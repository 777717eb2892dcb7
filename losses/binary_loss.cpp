// Binary segmentation losses over kernels/binary_loss: Dice, focal, BCE, boundary and the fused
// Focal Boundary Dice compound, plus the naive composition.
#include <cmath>

#include "core/autograd.h"
#include "core/op_util.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "kernels/binary_loss_kernels.h"
#include "losses/loss_util.h"
#include "losses/losses.h"

namespace fbd {

namespace {

using kernels::BinaryLossParams;

void check_dice(const DiceOptions& d, const char* op) {
  detail::check_finite_param(d.eps_num, op, "eps_num");
  FBD_CHECK(d.eps_num >= 0.0f, op, ": eps_num must be >= 0, got ", d.eps_num);
  FBD_CHECK(d.eps_den > 0.0f && std::isfinite(d.eps_den), op, ": eps_den must be > 0, got ", d.eps_den);
}

void check_focal(const FocalOptions& f, const char* op) {
  FBD_CHECK(f.gamma >= 0.0f && std::isfinite(f.gamma), op, ": gamma must be >= 0, got ", f.gamma);
  FBD_CHECK(f.alpha <= 1.0f && !std::isnan(f.alpha), op, ": alpha must be in [0, 1] (or < 0 to disable), got ",
            f.alpha);
}

// One binary loss op: forward kernel (sums + value), bad-input report, backward node.
Tensor binary_loss_op(const char* op, const Tensor& logits, const Tensor& target, const Tensor& sdm,
                      const BinaryLossParams& prm) {
  const MaskGeometry geo = detail::check_logits(logits, op);
  const bool with_target = (prm.terms & (kernels::kBinaryDice | kernels::kBinaryFocal | kernels::kBinaryBce)) != 0;
  const bool with_sdm = (prm.terms & kernels::kBinaryBoundary) != 0;
  const Tensor g = with_target ? detail::check_companion(target, logits, op, "target") : Tensor();
  const Tensor phi = with_sdm ? detail::check_companion(sdm, logits, op, "signed distance map") : Tensor();
  const Device dev = logits.device();
  const int64_t N = geo.n, HW = geo.h * geo.w;
  profiler::Scope scope(op, dev);
  const Tensor z = logits.detach();
  Tensor sums = Tensor::empty({(N + 1) * kernels::kBinaryStats}, DType::F32, dev);
  Tensor value = Tensor::empty({}, DType::F32, dev);
  const float* phip = with_sdm ? phi.data<float>() : nullptr;
  const float* gp = with_target ? g.data<float>() : nullptr;
  detail::dispatch(
      z, op,
      [&] {
        kernels::binary_loss_forward_cpu(z.data<float>(), gp, phip, N, HW, prm, sums.data<float>(),
                                         value.data<float>());
      },
      [&](kernels::Stream s) {
        detail::Workspace ws(kernels::binary_loss_workspace_bytes(N, HW), dev);
        return kernels::binary_loss_forward_cuda(z.data<float>(), gp, phip, N, HW, prm, sums.data<float>(),
                                                 value.data<float>(), ws.get(), s);
      });
  scope.add_bytes(size_t(N * HW) * (4 + (with_target ? 4 : 0) + (with_sdm ? 4 : 0)));
  const int64_t bad_index = N * kernels::kBinaryStats + kernels::kStatBad;
  if (with_target)
    detail::report_bad_inputs(op, sums, bad_index,
                              {{&logits, "logits", detail::Expect::Finite},
                               {&target, "target", detail::Expect::Binary},
                               {with_sdm ? &sdm : nullptr, "signed distance map", detail::Expect::Finite}});
  else
    detail::report_bad_inputs(
        op, sums, bad_index,
        {{&logits, "logits", detail::Expect::Finite}, {&sdm, "signed distance map", detail::Expect::Finite}});
  if (needs_grad({&logits})) {
    record(value, op, {logits}, [op, z, g, phi, sums, prm, N, HW](const Tensor& go) {
      Tensor dz = Tensor::empty(z.shape(), DType::F32, z.device());
      const float* phip = phi.defined() ? phi.data<float>() : nullptr;
      const float* gp = g.defined() ? g.data<float>() : nullptr;
      detail::dispatch(
          z, op,
          [&] {
            kernels::binary_loss_backward_cpu(z.data<float>(), gp, phip, N, HW, prm, sums.data<float>(),
                                              go.data<float>(), dz.data<float>());
          },
          [&](kernels::Stream s) {
            kernels::binary_loss_backward_cuda(z.data<float>(), gp, phip, N, HW, prm, sums.data<float>(),
                                               go.data<float>(), dz.data<float>(), s);
          });
      return std::vector<Tensor>{dz};
    });
  }
  return value;
}

BinaryLossParams dice_params(const DiceOptions& d, BinaryLossParams p) {
  p.eps_num = d.eps_num;
  p.eps_den = d.eps_den;
  p.squared = d.squared;
  p.batch = d.batch;
  return p;
}

BinaryLossParams focal_params(const FocalOptions& f, BinaryLossParams p) {
  p.gamma = f.gamma;
  p.alpha = f.alpha;
  return p;
}

BinaryLossParams single_term(uint32_t term) {
  BinaryLossParams p;
  p.terms = term;
  p.w_dice = p.w_focal = p.w_bce = p.w_bd = 1.0f;
  return p;
}

}  // namespace

Tensor dice_loss(const Tensor& logits, const Tensor& target, const DiceOptions& opt) {
  check_dice(opt, "dice_loss");
  return binary_loss_op("dice_loss", logits, target, Tensor(), dice_params(opt, single_term(kernels::kBinaryDice)));
}

Tensor focal_loss(const Tensor& logits, const Tensor& target, const FocalOptions& opt) {
  check_focal(opt, "focal_loss");
  return binary_loss_op("focal_loss", logits, target, Tensor(), focal_params(opt, single_term(kernels::kBinaryFocal)));
}

Tensor focal_edge_loss(const Tensor& edge_logits, const Tensor& edge_target, const FocalOptions& opt) {
  check_focal(opt, "focal_edge_loss");
  return binary_loss_op("focal_edge_loss", edge_logits, edge_target, Tensor(),
                        focal_params(opt, single_term(kernels::kBinaryFocal)));
}

Tensor bce_loss(const Tensor& logits, const Tensor& target) {
  return binary_loss_op("bce_loss", logits, target, Tensor(), single_term(kernels::kBinaryBce));
}

Tensor bce_edge_loss(const Tensor& edge_logits, const Tensor& edge_target) {
  return binary_loss_op("bce_edge_loss", edge_logits, edge_target, Tensor(), single_term(kernels::kBinaryBce));
}

Tensor boundary_loss(const Tensor& logits, const Tensor& sdm) {
  return binary_loss_op("boundary_loss", logits, Tensor(), sdm, single_term(kernels::kBinaryBoundary));
}

Tensor focal_boundary_dice_loss(const Tensor& logits, const Tensor& target, const Tensor& sdm, const FbdOptions& opt) {
  const char* op = "focal_boundary_dice_loss";
  check_dice(opt.dice, op);
  check_focal(opt.focal, op);
  detail::check_finite_param(opt.w_dice, op, "w_dice");
  detail::check_finite_param(opt.w_focal, op, "w_focal");
  detail::check_finite_param(opt.w_boundary, op, "w_boundary");
  BinaryLossParams p = focal_params(opt.focal, dice_params(opt.dice, BinaryLossParams{}));
  p.terms = kernels::kBinaryFbd;
  p.w_dice = opt.w_dice;
  p.w_focal = opt.w_focal;
  p.w_bce = 0.0f;
  p.w_bd = opt.w_boundary;
  return binary_loss_op(op, logits, target, sdm, p);
}

Tensor focal_boundary_dice_loss_naive(const Tensor& logits, const Tensor& target, const Tensor& sdm,
                                      const FbdOptions& opt) {
  return add(add(mul_scalar(dice_loss(logits, target, opt.dice), opt.w_dice),
                 mul_scalar(focal_loss(logits, target, opt.focal), opt.w_focal)),
             mul_scalar(boundary_loss(logits, sdm), opt.w_boundary));
}

}  // namespace fbd
