// Learning-rate schedules as pure functions of the step (0-based: the rate for the step about
// to be taken). apply(opt, step) sets the optimizer's rate; call it before each opt.step().
//   StepLR:          base * gamma^floor(step / step_size)
//   CosineWarmupLR:  step < warmup: base * (step + 1) / warmup (linear warm-up);
//                    then min + (base - min) (1 + cos(pi * progress)) / 2,
//                    progress = (step - warmup) / (total - warmup), clamped to [0, 1]
//   PolyLR:          min + (base - min) (1 - min(step, total) / total)^power   (power 0.9 is
//                    the usual choice for segmentation)
#pragma once
#include <cstdint>

#include "optim/optimizer.h"

namespace fbd::optim {

class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  virtual double lr_at(int64_t step) const = 0;
  void apply(Optimizer& opt, int64_t step) const { opt.set_lr(lr_at(step)); }
};

class StepLR : public LrSchedule {
 public:
  StepLR(double base, int64_t step_size, double gamma = 0.1);
  double lr_at(int64_t step) const override;

 private:
  double base_, gamma_;
  int64_t step_size_;
};

class CosineWarmupLR : public LrSchedule {
 public:
  CosineWarmupLR(double base, int64_t warmup_steps, int64_t total_steps, double min_lr = 0.0);
  double lr_at(int64_t step) const override;

 private:
  double base_, min_;
  int64_t warmup_, total_;
};

class PolyLR : public LrSchedule {
 public:
  PolyLR(double base, int64_t total_steps, double power = 0.9, double min_lr = 0.0);
  double lr_at(int64_t step) const override;

 private:
  double base_, power_, min_;
  int64_t total_;
};

}  // namespace fbd::optim
