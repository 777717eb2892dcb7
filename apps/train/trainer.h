// Training a segmentation network on a run configuration: AdamW with a cosine schedule (one
// epoch of warm-up), gradient clipping at norm 5, the loader's augmented tumour quadrants; after
// every epoch the held-out patients are evaluated on whole slices (evaluate.h), the row is
// appended to metrics.csv, and the last (and best by held-out Dice) checkpoints are written.
//
// Resuming continues exactly where a run stopped: the model, optimizer state, history and
// epoch come from last.safetensors, the loader's order and augmentations are functions of
// (seed, epoch, index), and the schedule is a function of the step, so an interrupted run that
// is resumed ends with the same weights as one that was not (on the CPU, bit for bit; tested).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "apps/nets/seg_net.h"
#include "apps/train/epoch_record.h"
#include "apps/train/run_config.h"
#include "data/dataset.h"

namespace fbd::app {

struct TrainOptions {
  std::string run_dir;  // "" keeps everything in memory (cross-validation folds)
  bool progress = true;
  std::function<void(const EpochRecord&)> on_epoch;
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
// Continues the run in o.run_dir from its last checkpoint up to c.epochs.
TrainResult resume_training(const data::Dataset& ds, const RunConfig& c, const TrainOptions& o);

// The network of a finished run, loaded from RUN/<which>.safetensors (which: last or best),
// on `device`, in eval mode.
std::shared_ptr<SegNet> load_trained_net(const std::string& run_dir, const RunConfig& c, const std::string& which,
                                         Device device);

}  // namespace fbd::app
