#include "apps/train/run_data.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "core/file_io.h"
#include "data/augment.h"
#include "data/kfold.h"
#include "data/prepare.h"

namespace fbd::app {

data::Dataset open_dataset(const std::string& dir, const data::VolumeOptions& volumes) {
  data::Dataset ds = data::scan_dataset(dir, volumes);
  size_t errors = 0;
  std::string first;
  for (const auto& p : ds.problems)
    if (p.error) {
      if (errors++ == 0) first = p.str();
    }
  FBD_CHECK(errors == 0, dir, ": ", errors, " problem(s) in the data set, the first: ", first,
            " (fbd check-data lists them all)");
  FBD_CHECK(!ds.cases.empty(), dir, ": no cases found");
  return ds;
}

void use_dataset_channels(RunConfig& c, const data::Dataset& ds) { c.net.in_channels = int(ds.channels); }

void check_dataset_channels(const RunConfig& c, const data::Dataset& ds) {
  FBD_CHECK(c.net.in_channels == ds.channels, ds.root, ": gives ", ds.channels, " input channel(s) (--channels ",
            ds.volume_options.channels, ") but the run's ", c.net.net, " was trained on ", c.net.in_channels);
}

void make_split(const data::Dataset& ds, RunConfig& c) {
  const size_t patients = ds.patients().size();
  FBD_CHECK(patients >= 2, ds.root, ": a train/test split needs at least 2 patients, found ", patients);
  const data::Fold f =
      c.split.empty() ? data::make_holdout(ds, c.test_fraction, c.seed) : data::load_split(c.split, ds);
  c.train_patients = f.train_patients;
  c.test_patients = f.test_patients;
}

std::vector<std::string> case_ids(const data::Dataset& ds, const std::vector<std::string>& patients) {
  const std::set<std::string> wanted(patients.begin(), patients.end());
  std::vector<std::string> ids;
  for (const auto& cs : ds.cases)
    if (wanted.count(cs.patient)) ids.push_back(cs.id);
  return ids;
}

std::vector<data::Sample> training_samples(const data::Dataset& ds, const std::vector<std::string>& ids,
                                           const RunConfig& c) {
  FBD_CHECK(!ids.empty(), "no training cases");
  data::PrepareOptions po;
  po.quadrants = c.quadrants;
  po.keep_all_quadrants = c.all_quadrants;
  std::vector<data::Sample> samples = data::prepare_samples(ds, ids, po);
  for (data::Sample& s : samples) data::resize(s, c.size, c.size);
  return samples;
}

data::AugmentPipeline training_pipeline(const RunConfig& c) {
  using nlohmann::json;
  json steps = json::array();
  if (c.augment == "default") {
    steps = json::parse(data::AugmentPipeline::default_json()).at("steps");
  } else if (c.augment != "none") {
    const std::vector<char> bytes = read_file(c.augment);
    try {
      steps = json::parse(std::string(bytes.begin(), bytes.end())).at("steps");
    } catch (const json::exception& e) {
      FBD_FAIL(c.augment, ": bad augmentation config (", e.what(), ")");
    }
  }
  FBD_CHECK(steps.is_array(), c.augment, ": bad augmentation config (\"steps\" must be a list of steps)");
  // A step that is not an object is left for the pipeline to refuse, naming the file.
  auto is_norm = [](const json& s, const char* mode) {
    return s.is_object() && s.value("op", "") == "normalize" && s.value("mode", "") == mode;
  };
  auto norm = [](const char* mode) {
    json step = json::object();
    step["op"] = "normalize";
    step["mode"] = mode;
    return step;
  };
  if (steps.empty() || !is_norm(steps.front(), "minmax")) steps.insert(steps.begin(), norm("minmax"));
  if (!is_norm(steps.back(), "zscore")) steps.push_back(norm("zscore"));
  json config = json::object();
  config["steps"] = steps;
  return data::AugmentPipeline::from_json_text(config.dump(), c.augment);
}

void normalize_for_network(data::Image& img) {
  data::normalize_minmax(img);
  data::normalize_zscore(img);
}

}  // namespace fbd::app
