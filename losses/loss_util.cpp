#include "losses/loss_util.h"

#include <atomic>
#include <cmath>

#include "core/op_util.h"
#include "losses/losses.h"

namespace fbd {

namespace {
std::atomic<bool> g_checks{true};
}

void set_loss_input_checks(bool on) { g_checks.store(on); }
bool loss_input_checks() { return g_checks.load(); }

namespace detail {

MaskGeometry check_logits(const Tensor& logits, const char* op) {
  FBD_CHECK(logits.defined(), op, ": logits undefined");
  FBD_CHECK(logits.dtype() == DType::F32, op, ": logits must be float32, got ", dtype_name(logits.dtype()));
  const MaskGeometry g = mask_geometry(logits, op);
  FBD_CHECK(logits.numel() > 0, op, ": logits ", shape_str(logits.shape()), " are empty");
  return g;
}

Tensor check_companion(const Tensor& t, const Tensor& logits, const char* op, const char* what) {
  FBD_CHECK(t.defined(), op, ": ", what, " undefined");
  FBD_CHECK(t.shape() == logits.shape(), op, ": logits ", shape_str(logits.shape()), " and ", what, " ",
            shape_str(t.shape()), " differ in shape");
  FBD_CHECK(t.device() == logits.device(), op, ": logits on ", logits.device().str(), " but ", what, " on ",
            t.device().str());
  FBD_CHECK(t.dtype() == DType::F32 || t.dtype() == DType::U8, op, ": ", what, " must be float32 or uint8, got ",
            dtype_name(t.dtype()));
  return t.dtype() == DType::F32 ? t.detach() : t.to_dtype(DType::F32);
}

void check_finite_param(float v, const char* op, const char* name) {
  FBD_CHECK(std::isfinite(v), op, ": ", name, " must be finite, got ", v);
}

namespace {
void find_first(const char* op, const Checked& c) {
  if (c.expect == Expect::Binary) {
    check_binary_mask(*c.tensor, (std::string(op) + ": " + c.what).c_str());  // losses/mask.h: one message for all
    return;
  }
  const Tensor host = c.tensor->cpu().to_dtype(DType::F32);
  const float* p = host.data<float>();
  const int64_t n = host.numel();
  for (int64_t i = 0; i < n; ++i) {
    const float v = p[i];
    switch (c.expect) {
      case Expect::Finite:
        FBD_CHECK(std::isfinite(v), op, ": ", c.what, " must be finite, found ", v, " at index ", i);
        break;
      case Expect::Binary: break;
      case Expect::NonNegative:
        FBD_CHECK(std::isfinite(v) && v >= 0.0f, op, ": ", c.what, " must be finite and >= 0, found ", v, " at index ",
                  i);
        break;
      case Expect::ClassIndex:
        FBD_CHECK(v >= 0.0f && v < float(c.classes) && v == std::floor(v), op, ": ", c.what,
                  " must be class indices 0..", c.classes - 1, ", found ", v, " at index ", i);
        break;
    }
  }
}
}  // namespace

void report_bad_inputs(const char* op, const Tensor& sums, int64_t index, std::initializer_list<Checked> inputs) {
  if (!loss_input_checks()) return;
  const float bad = sums.narrow0(index, 1).item();  // on CUDA: a 4-byte copy that waits for the stream
  if (bad == 0.0f) return;
  for (const Checked& c : inputs)
    if (c.tensor != nullptr && c.tensor->defined()) find_first(op, c);
  FBD_FAIL(op, ": invalid input values (", bad, " found by the kernel)");
}

}  // namespace detail
}  // namespace fbd
