// The data side of a run: the patient split, the training samples (the paper's tumour quadrants,
// resized to the network's input size) and the augmentation pipeline, which always starts with
// min-max and ends with z-score normalisation so that evaluation (which applies just those two)
// sees images on the same scale as training.
#pragma once
#include <string>
#include <vector>

#include "apps/train/run_config.h"
#include "data/dataset.h"
#include "data/pipeline.h"

namespace fbd::app {

// Scans and validates a data set (volumes read as `volumes` says: a run's RunConfig::volume);
// a data set with errors stops with a one-line summary that points at `fbd check-data`.
data::Dataset open_dataset(const std::string& dir, const data::VolumeOptions& volumes = {});
// A new run's network takes the data set's input channels (--channels applied: ds.channels).
void use_dataset_channels(RunConfig& c, const data::Dataset& ds);
// A one-line error unless the run's network takes the channels `ds` gives (a run trained on
// other channels, or a data set read with other --channels).
void check_dataset_channels(const RunConfig& c, const data::Dataset& ds);

// Fills c.train_patients / c.test_patients: from the split file c.split when one is named
// (checked against the data set), otherwise by holding out round(test_fraction * patients)
// patients, stratified by label (data/kfold.h: make_holdout).
void make_split(const data::Dataset& ds, RunConfig& c);

// Case ids of the given patients, in data set order.
std::vector<std::string> case_ids(const data::Dataset& ds, const std::vector<std::string>& patients);

// Training samples: tumour quadrants (or whole slices without quadrant division), resized to
// size x size, edges derived from the masks where the data set has none.
std::vector<data::Sample> training_samples(const data::Dataset& ds, const std::vector<std::string>& ids,
                                           const RunConfig& c);

// "default", "none" or a JSON file, wrapped in the normalisation steps.
data::AugmentPipeline training_pipeline(const RunConfig& c);
// The deterministic normalisation evaluation applies (min-max, then z-score).
void normalize_for_network(data::Image& img);

}  // namespace fbd::app
