// Training a segmentation network on a run configuration: AdamW with a cosine schedule (one
// epoch of warm-up), gradient clipping at norm 5, the loader's augmented tumour quadrants; after
// every epoch the held-out patients are evaluated on whole slices (evaluate.h), the row is
// appended to metrics.csv, and the last (and best by held-out Dice) checkpoints are written.
//
// Resuming continues exactly where a run stopped: the model, optimizer state, history and
// epoch come from last.safetensors, the loader's order and augmentations are functions of
// (seed, epoch, index), and the schedule is a function of the step, so an interrupted run that
// is resumed ends with the same weights as one that was not (on the CPU, bit for bit; tested).
//
// What a batch does to the network is a TrainStep: the trainer owns the loop, the data, the
// learning-rate schedule, evaluation and checkpoints, and calls the step once per batch. The
// ordinary networks take one AdamW step on their training loss (clipped at norm 5). An
// adversarial network (apps/nets/pix2pix.h) takes the GAN step of the pix2pix paper: with the
// generator's output G(x) computed once,
//   1. the discriminator's Adam step on (BCE(D(x, y), real) + BCE(D(x, sigmoid(G(x))), fake)) / 2,
//      the generator held fixed (its output detached);
//   2. the generator's Adam step on BCE(D(x, sigmoid(G(x))), real) + 100 L1(sigmoid(G(x)), y),
//      through the updated discriminator, whose parameters take no gradient;
// both Adams with beta1 0.5, beta2 0.999, no weight decay and no clipping, at the schedule's
// rate. Its dropout masks are keyed by (seed, step), so resuming repeats them.
#pragma once
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "apps/nets/seg_net.h"
#include "apps/train/epoch_record.h"
#include "apps/train/run_config.h"
#include "apps/train/training_loss.h"
#include "data/dataset.h"

namespace fbd::app {

// What one training step measured.
struct StepLosses {
  Tensor pred;      // the network's (the generator's) logits of the batch, before the update
  double loss = 0;  // the network's training loss (the generator's: adversarial + 100 reconstruction)
  double g_adv = NAN, g_rec = NAN, d_loss = NAN;  // the terms of an adversarial network; NaN otherwise
};

class TrainStep {
 public:
  explicit TrainStep(const LossConfig& loss) : base_(loss), loss_(loss) {}
  virtual ~TrainStep() = default;
  // One batch ([N,1,H,W] images, 0/1 masks and edges on the network's device) at training step
  // `step` (0-based over the run) with learning rate `lr`; the network is in training mode.
  virtual StepLosses step(const Tensor& image, const Tensor& mask, const Tensor& edge, int64_t step, double lr) = 0;
  // Called before each epoch's first step and before its held-out pass (`epoch` 1-based): the
  // loss's epoch schedule (LossConfig::boundary_ramp).
  void begin_epoch(int epoch) { loss_ = loss_config_at_epoch(base_, epoch); }
  // The training loss of a held-out batch; the caller puts the network in eval mode and turns
  // gradients off.
  virtual double held_out_loss(const Tensor& image, const Targets& targets) = 0;
  virtual double lr() const = 0;
  // The optimizers' state (a checkpoint's "optimizer." entries) and loading it back; errors
  // name `source`.
  virtual NamedTensors state_dict() const = 0;
  virtual void load_state_dict(const NamedTensors& state, const std::string& source) = 0;

 protected:
  const LossConfig& run_loss() const { return loss_; }  // the run's loss at the current epoch

 private:
  const LossConfig base_;
  LossConfig loss_;
};

// The step `net` trains with under `c`: the GAN step for an AdversarialNet, otherwise the
// single-optimizer step. `net` must outlive the step.
std::unique_ptr<TrainStep> make_train_step(SegNet& net, const RunConfig& c);

struct TrainOptions {
  std::string run_dir;  // "" keeps everything in memory (cross-validation folds)
  bool progress = true;
  std::function<void(const EpochRecord&)> on_epoch;
  // Called once everything is checked, before the first epoch, with the epochs already done
  // (0 for a new run): where a command says what it is about to do.
  std::function<void(int epochs_done)> on_start = nullptr;
};

struct TrainResult {
  std::shared_ptr<SegNet> net;  // the last epoch's weights
  std::vector<EpochRecord> history;
  int best_epoch = 0;
  double best_dice = 0;
  Device device;
};

// Trains `c` (its split must be filled) from scratch.
TrainResult train_network(const data::Dataset& ds, const RunConfig& c, const TrainOptions& o);
// Continues the run in o.run_dir from its last checkpoint up to c.epochs, writing `c` as the
// run's config.json once the checkpoint is read and c.epochs is past its epoch (a refused
// resume changes nothing in the folder).
TrainResult resume_training(const data::Dataset& ds, const RunConfig& c, const TrainOptions& o);

// The network of a finished run, loaded from RUN/<which>.safetensors (which: last or best),
// on `device`, in eval mode.
std::shared_ptr<SegNet> load_trained_net(const std::string& run_dir, const RunConfig& c, const std::string& which,
                                         Device device);

}  // namespace fbd::app
