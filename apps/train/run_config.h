// Everything that defines a training run, saved as RUN/config.json so that `fbd eval`,
// `fbd predict`, `fbd classify` and `fbd train --resume` rebuild exactly the same network,
// data preparation and split.
#pragma once
#include "data/dataset.h"
#include <cstdint>
#include <string>
#include <vector>

#include "apps/nets/seg_net.h"
#include "apps/train/training_loss.h"

namespace fbd::app {

struct RunConfig {
  std::string data;  // data set folder
  NetConfig net;
  LossConfig loss;
  int epochs = 20;
  int batch = 8;
  int size = 64;     // network input: quadrant crops (or slices) are resized to size x size
  double lr = 2e-3;  // Adam; cosine schedule with one epoch of linear warm-up
  double weight_decay = 1e-4;
  uint64_t seed = 1;
  std::string device = "auto";
  bool quadrants = true;            // the paper's quadrant division (train on tumour quadrants)
  bool all_quadrants = false;       // with quadrants: train on all four, tumour-free ones included
  std::string augment = "default";  // "default", "none" or a pipeline JSON file
  int workers = 1;                  // loader threads
  double test_fraction = 1.0 / 3;   // patients held out for validation/testing (the paper's: 2/3)
  std::string split;                // a split file the patients came from ("": made from test_fraction)
  std::string preset;               // "paper" when --preset paper set the defaults, else ""
  data::VolumeOptions volume;       // how volume data sets are sliced and their masks read
  std::vector<std::string> train_patients, test_patients;  // filled when the split is made
  // Image-level cross-validation only (kept in memory, never in a run folder): the cases to
  // train and test on, which then override the patients' cases.
  std::vector<std::string> train_ids, test_ids;
};

// One-line errors for every value out of range (before anything is written).
void check_run_config(const RunConfig& c);

std::string to_json(const RunConfig& c);  // pretty-printed
RunConfig run_config_from_json(const std::string& text, const std::string& source);
RunConfig load_run_config(const std::string& run_dir);  // RUN/config.json
void save_run_config(const std::string& run_dir, const RunConfig& c);

// "0.5,0.3,0.2" -> {0.5, 0.3, 0.2}; a clear error naming `what` otherwise.
std::vector<float> parse_float_list(const std::string& text, const std::string& what);
std::vector<int> parse_int_list(const std::string& text, const std::string& what);

}  // namespace fbd::app
