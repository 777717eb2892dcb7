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

#include "apps/nets.h"
#include "apps/run_config.h"
#include "data/dataset.h"

namespace fbd::app {

struct EpochRecord {
  int epoch = 0;  // 1-based
  double lr = 0;
  double train_loss = 0, train_dice = 0, train_miou = 0, train_accuracy = 0, train_hd = 0;
  double test_loss = 0, test_dice = 0, test_miou = 0, test_accuracy = 0, test_hd = 0;
  double seconds = 0;
};

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

std::string metrics_csv(const std::vector<EpochRecord>& history);
std::vector<std::string> metrics_csv_columns();

}  // namespace fbd::app
