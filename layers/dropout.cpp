#include "layers/dropout.h"

#include "core/autograd.h"
#include "core/op_util.h"
#include "core/ops.h"
#include "core/profiler.h"
#include "kernels/dropout_kernels.h"

namespace fbd::nn {

namespace {
void check_p(float p, const char* who) {
  FBD_CHECK(p >= 0.0f && p <= 1.0f, who, ": probability must be in [0, 1], got ", p);
}
}  // namespace

Tensor dropout(const Tensor& x, float p, bool training, Generator& gen) {
  const char* op = "dropout";
  fbd::detail::check_float(x, op);
  check_p(p, op);
  if (!training || p == 0.0f) return x;
  profiler::Scope scope(op, x.device());
  const int64_t n = x.numel();
  Tensor y = Tensor::empty(x.shape(), DType::F32, x.device());
  Tensor mask = Tensor::empty(x.shape(), DType::U8, x.device());
  const uint64_t seed = gen.seed(), offset = gen.take(n);
  auto* m = static_cast<uint8_t*>(mask.raw_data());
  fbd::detail::dispatch(
      x, op, [&] { kernels::dropout_forward_cpu(x.data<float>(), y.data<float>(), m, n, p, seed, offset); },
      [&](kernels::Stream s) {
        kernels::dropout_forward_cuda(x.data<float>(), y.data<float>(), m, n, p, seed, offset, s);
      });
  scope.add_bytes(x.nbytes() + y.nbytes() + mask.nbytes());
  if (needs_grad({&x})) {
    const float scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    record(y, op, {x}, [mask, scale, n](const Tensor& gy) {
      Tensor gx = Tensor::empty(gy.shape(), DType::F32, gy.device());
      const auto* mk = static_cast<const uint8_t*>(mask.raw_data());
      fbd::detail::dispatch(
          gy, "dropout.backward",
          [&] { kernels::dropout_backward_cpu(gy.data<float>(), mk, gx.data<float>(), n, scale); },
          [&](kernels::Stream s) {
            kernels::dropout_backward_cuda(gy.data<float>(), mk, gx.data<float>(), n, scale, s);
          });
      return std::vector<Tensor>{gx};
    });
  }
  return y;
}

Dropout::Dropout(float p, Generator& gen) : Module("Dropout"), p_(p), gen_(&gen) { check_p(p, "Dropout"); }

}  // namespace fbd::nn
