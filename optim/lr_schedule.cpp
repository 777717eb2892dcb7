#include "optim/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace fbd::optim {

namespace {
void check_base(double base, const char* who) {
  FBD_CHECK(std::isfinite(base) && base >= 0, who, ": base learning rate must be finite and >= 0, got ", base);
}
void check_step(int64_t step, const char* who) { FBD_CHECK(step >= 0, who, ": negative step ", step); }
}  // namespace

StepLR::StepLR(double base, int64_t step_size, double gamma) : base_(base), gamma_(gamma), step_size_(step_size) {
  check_base(base, "StepLR");
  FBD_CHECK(step_size > 0 && gamma > 0 && std::isfinite(gamma),
            "StepLR: step_size must be > 0 and gamma finite and > 0");
}

double StepLR::lr_at(int64_t step) const {
  check_step(step, "StepLR");
  return base_ * std::pow(gamma_, double(step / step_size_));
}

CosineWarmupLR::CosineWarmupLR(double base, int64_t warmup_steps, int64_t total_steps, double min_lr)
    : base_(base), min_(min_lr), warmup_(warmup_steps), total_(total_steps) {
  check_base(base, "CosineWarmupLR");
  FBD_CHECK(warmup_steps >= 0 && total_steps > warmup_steps, "CosineWarmupLR: need 0 <= warmup (", warmup_steps,
            ") < total steps (", total_steps, ")");
  FBD_CHECK(min_lr >= 0 && min_lr <= base, "CosineWarmupLR: min_lr must be in [0, base]");
}

double CosineWarmupLR::lr_at(int64_t step) const {
  check_step(step, "CosineWarmupLR");
  if (step < warmup_) return base_ * double(step + 1) / double(warmup_);
  const double progress = std::clamp(double(step - warmup_) / double(total_ - warmup_), 0.0, 1.0);
  return min_ + (base_ - min_) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

PolyLR::PolyLR(double base, int64_t total_steps, double power, double min_lr)
    : base_(base), power_(power), min_(min_lr), total_(total_steps) {
  check_base(base, "PolyLR");
  FBD_CHECK(total_steps > 0 && power > 0 && std::isfinite(power), "PolyLR: total steps and power must be > 0");
  FBD_CHECK(min_lr >= 0 && min_lr <= base, "PolyLR: min_lr must be in [0, base]");
}

double PolyLR::lr_at(int64_t step) const {
  check_step(step, "PolyLR");
  const double f = 1.0 - double(std::min(step, total_)) / double(total_);
  return min_ + (base_ - min_) * std::pow(f, power_);
}

}  // namespace fbd::optim
