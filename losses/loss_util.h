// Internal helpers of the loss ops (not part of the public API): input checks with one-line
// errors, the conversion of masks to float, and the report of bad inputs counted by a kernel.
#pragma once
#include <initializer_list>
#include <string>

#include "core/tensor.h"
#include "losses/mask.h"

namespace fbd::detail {

// Logits: float32, non-empty, (H,W), (N,H,W) or (N,1,H,W). Returns the geometry.
MaskGeometry check_logits(const Tensor& logits, const char* op);

// A per-pixel companion of the logits (target, distance map, weight map): same shape and
// device. Returns it as float32 (uint8 masks are converted).
Tensor check_companion(const Tensor& t, const Tensor& logits, const char* op, const char* what);

// What a kernel's bad-input count refers to: which tensors, and what each must hold.
enum class Expect { Finite, Binary, NonNegative, ClassIndex };
struct Checked {
  const Tensor* tensor;
  const char* what;  // "logits", "target", ...
  Expect expect;
  int classes = 0;  // for ClassIndex
};

// The bad-input count of a forward pass: element `index` of `sums`. When input checks are on
// and it is non-zero, finds the first offending value (on the host, only on this error path)
// and throws "<op>: <what> must ..., found <v> at index <i>".
void report_bad_inputs(const char* op, const Tensor& sums, int64_t index, std::initializer_list<Checked> inputs);

void check_finite_param(float v, const char* op, const char* name);

}  // namespace fbd::detail
