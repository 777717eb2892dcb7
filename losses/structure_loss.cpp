// Structure loss (weighted BCE + weighted IoU, paper Eq. 5-7) and the BCE-based boundary loss
// (Eq. 8-10) over kernels/structure_loss, with the weight map w = 1 + 5 |AvgPool31(g) - g|.
#include <cmath>

#include "core/autograd.h"
#include "core/op_util.h"
#include "core/profiler.h"
#include "kernels/structure_loss_kernels.h"
#include "losses/loss_util.h"
#include "losses/losses.h"

namespace fbd {

namespace {

constexpr int kRadius = 15;  // 31 x 31 window
constexpr float kScale = 5.0f;

// The weight map without the 0/1 check (the loss kernels count bad targets themselves).
Tensor weight_of(const Tensor& g, const MaskGeometry& geo) {
  profiler::Scope scope("structure_weight", g.device());
  Tensor w = Tensor::empty(g.shape(), DType::F32, g.device());
  detail::dispatch(
      g, "structure_weight",
      [&] { kernels::structure_weight_cpu(g.data<float>(), w.data<float>(), geo.n, geo.h, geo.w, kRadius, kScale); },
      [&](kernels::Stream s) {
        detail::Workspace ws(kernels::structure_weight_workspace_bytes(geo.n, geo.h, geo.w), g.device());
        kernels::structure_weight_cuda(g.data<float>(), w.data<float>(), geo.n, geo.h, geo.w, kRadius, kScale, ws.get(),
                                       s);
      });
  scope.add_bytes(size_t(geo.n * geo.h * geo.w) * 20);
  return w;
}

Tensor structure_op(const char* op, const Tensor& logits, const Tensor& target, const Tensor& weight, const Tensor& sdm,
                    const kernels::StructureParams& prm) {
  const MaskGeometry geo = detail::check_logits(logits, op);
  const Tensor g = detail::check_companion(target, logits, op, "target");
  const Tensor w = detail::check_companion(weight, logits, op, "weight map");
  const bool bd = prm.lambda_bd != 0.0f;
  const Tensor phi = bd ? detail::check_companion(sdm, logits, op, "signed distance map") : Tensor();
  const Device dev = logits.device();
  const int64_t N = geo.n, HW = geo.h * geo.w;
  profiler::Scope scope(op, dev);
  const Tensor z = logits.detach();
  Tensor sums = Tensor::empty({(N + 1) * kernels::kStructStats}, DType::F32, dev);
  Tensor value = Tensor::empty({}, DType::F32, dev);
  const float* phip = bd ? phi.data<float>() : nullptr;
  detail::dispatch(
      z, op,
      [&] {
        kernels::structure_loss_forward_cpu(z.data<float>(), g.data<float>(), w.data<float>(), phip, N, HW, prm,
                                            sums.data<float>(), value.data<float>());
      },
      [&](kernels::Stream s) {
        detail::Workspace ws(kernels::structure_loss_workspace_bytes(N, HW), dev);
        return kernels::structure_loss_forward_cuda(z.data<float>(), g.data<float>(), w.data<float>(), phip, N, HW, prm,
                                                    sums.data<float>(), value.data<float>(), ws.get(), s);
      });
  scope.add_bytes(size_t(N * HW) * (12 + (bd ? 4 : 0)));
  detail::report_bad_inputs(op, sums, N * kernels::kStructStats + kernels::kStBad,
                            {{&logits, "logits", detail::Expect::Finite},
                             {&target, "target", detail::Expect::Binary},
                             {&weight, "weight map", detail::Expect::NonNegative},
                             {bd ? &sdm : nullptr, "signed distance map", detail::Expect::Finite}});
  if (needs_grad({&logits})) {
    record(value, op, {logits}, [op, z, g, w, phi, sums, prm, N, HW](const Tensor& go) {
      Tensor dz = Tensor::empty(z.shape(), DType::F32, z.device());
      const float* phip = phi.defined() ? phi.data<float>() : nullptr;
      detail::dispatch(
          z, op,
          [&] {
            kernels::structure_loss_backward_cpu(z.data<float>(), g.data<float>(), w.data<float>(), phip, N, HW, prm,
                                                 sums.data<float>(), go.data<float>(), dz.data<float>());
          },
          [&](kernels::Stream s) {
            kernels::structure_loss_backward_cuda(z.data<float>(), g.data<float>(), w.data<float>(), phip, N, HW, prm,
                                                  sums.data<float>(), go.data<float>(), dz.data<float>(), s);
          });
      return std::vector<Tensor>{dz};
    });
  }
  return value;
}

}  // namespace

Tensor structure_weight(const Tensor& target) {
  const MaskGeometry geo = mask_geometry(target, "structure_weight");
  check_binary_mask(target, "structure_weight");
  const Tensor g = target.dtype() == DType::F32 ? target.detach() : target.to_dtype(DType::F32);
  return weight_of(g, geo);
}

Tensor structure_loss(const Tensor& logits, const Tensor& target, const Tensor& weight, const StructureOptions& opt) {
  kernels::StructureParams p;
  p.plain_mean_bce = opt.plain_mean_bce;
  return structure_op("structure_loss", logits, target, weight, Tensor(), p);
}

Tensor structure_loss(const Tensor& logits, const Tensor& target, const StructureOptions& opt) {
  const MaskGeometry geo = detail::check_logits(logits, "structure_loss");
  const Tensor g = detail::check_companion(target, logits, "structure_loss", "target");
  // Computed per call, as F3Net's structure_loss does; the loss kernel checks the target.
  return structure_loss(logits, target, weight_of(g, geo), opt);
}

Tensor bce_boundary_loss(const Tensor& logits, const Tensor& target, const Tensor& weight, const Tensor& sdm,
                         const BceBoundaryOptions& opt) {
  const char* op = "bce_boundary_loss";
  FBD_CHECK(std::isfinite(opt.lambda_bd), op, ": lambda_bd must be finite, got ", opt.lambda_bd);
  kernels::StructureParams p;
  p.plain_mean_bce = opt.plain_mean_bce;
  p.lambda_bd = opt.lambda_bd;
  return structure_op(op, logits, target, weight, sdm, p);
}

}  // namespace fbd
