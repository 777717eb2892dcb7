// Classification cross-entropy over kernels/cross_entropy.
#include <cmath>

#include "core/autograd.h"
#include "core/op_util.h"
#include "core/profiler.h"
#include "kernels/cross_entropy_kernels.h"
#include "losses/loss_util.h"
#include "losses/losses.h"

namespace fbd {

Tensor cross_entropy_loss(const Tensor& logits, const Tensor& labels, float label_smoothing) {
  const char* op = "cross_entropy_loss";
  FBD_CHECK(logits.defined(), op, ": logits undefined");
  FBD_CHECK(labels.defined(), op, ": labels undefined");
  FBD_CHECK(logits.dtype() == DType::F32, op, ": logits must be float32, got ", dtype_name(logits.dtype()));
  FBD_CHECK(logits.dim() == 2, op, ": logits must be [N, K] (one row of class scores per sample), got ",
            shape_str(logits.shape()));
  kernels::CrossEntropyGeom g;
  g.N = logits.size(0), g.K = logits.size(1);
  FBD_CHECK(g.N > 0, op, ": logits ", shape_str(logits.shape()), " hold no sample");
  FBD_CHECK(g.K >= 2, op, ": at least 2 classes needed, got logits ", shape_str(logits.shape()));
  FBD_CHECK(g.K < (int64_t(1) << 24), op, ": at most 2^24 - 1 classes supported, got ", g.K);
  FBD_CHECK(labels.dim() == 1 && labels.size(0) == g.N, op, ": labels must be [", g.N,
            "] (one class index per row of the logits ", shape_str(logits.shape()), "), got ",
            shape_str(labels.shape()));
  FBD_CHECK(labels.device() == logits.device(), op, ": logits on ", logits.device().str(), " but labels on ",
            labels.device().str());
  FBD_CHECK(labels.dtype() == DType::F32 || labels.dtype() == DType::U8 || labels.dtype() == DType::I32, op,
            ": labels must be float32, uint8 or int32, got ", dtype_name(labels.dtype()));
  FBD_CHECK(std::isfinite(label_smoothing) && label_smoothing >= 0.0f && label_smoothing <= 1.0f, op,
            ": label_smoothing must be in [0, 1], got ", label_smoothing);
  g.smoothing = label_smoothing;

  const Device dev = logits.device();
  profiler::Scope scope(op, dev);
  const Tensor z = logits.detach();
  const Tensor y = labels.dtype() == DType::F32 ? labels.detach() : labels.to_dtype(DType::F32);
  Tensor stats = Tensor::empty({kernels::ce_stats_count(g.N)}, DType::F32, dev);
  Tensor value = Tensor::empty({}, DType::F32, dev);
  detail::dispatch(
      z, op,
      [&] {
        kernels::cross_entropy_forward_cpu(z.data<float>(), y.data<float>(), g, stats.data<float>(),
                                           value.data<float>());
      },
      [&](kernels::Stream s) {
        kernels::cross_entropy_forward_cuda(z.data<float>(), y.data<float>(), g, stats.data<float>(),
                                            value.data<float>(), s);
      });
  scope.add_bytes(z.nbytes() + y.nbytes() + size_t(g.N) * 12);
  detail::report_bad_inputs(
      op, stats, 3 * g.N,
      {{&labels, "labels", detail::Expect::ClassIndex, int(g.K)}, {&logits, "logits", detail::Expect::Finite}});
  if (needs_grad({&logits})) {
    record(value, op, {logits}, [z, y, stats, g](const Tensor& go) {
      Tensor dz = Tensor::empty(z.shape(), DType::F32, z.device());
      detail::dispatch(
          z, "cross_entropy_loss.backward",
          [&] {
            kernels::cross_entropy_backward_cpu(z.data<float>(), y.data<float>(), g, stats.data<float>(),
                                                go.data<float>(), dz.data<float>());
          },
          [&](kernels::Stream s) {
            kernels::cross_entropy_backward_cuda(z.data<float>(), y.data<float>(), g, stats.data<float>(),
                                                 go.data<float>(), dz.data<float>(), s);
          });
      return std::vector<Tensor>{dz};
    });
  }
  return value;
}

}  // namespace fbd
