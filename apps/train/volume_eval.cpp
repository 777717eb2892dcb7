#include "apps/train/volume_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "apps/train/evaluate.h"
#include "core/error.h"
#include "data/morphology.h"
#include "data/volume_dataset.h"
#include "data/volume_slices.h"

namespace fbd::app {

namespace {

// NaN-aware mean of one field over the rows.
template <typename F>
double mean_of(const std::vector<VolumeScore>& rows, F field, int64_t* left_out = nullptr) {
  double sum = 0;
  int64_t n = 0, nan = 0;
  for (const VolumeScore& r : rows) {
    const double v = field(r.m);
    if (std::isnan(v)) {
      ++nan;
    } else {
      sum += v;
      ++n;
    }
  }
  if (left_out) *left_out = nan;
  return n ? sum / double(n) : std::nan("");
}

struct Column {
  const char* name;
  double (*get)(const VolumeMetrics&);
};

const std::vector<Column>& columns() {
  static const std::vector<Column> cols = {
      {"dice", [](const VolumeMetrics& m) { return m.dice; }},
      {"iou", [](const VolumeMetrics& m) { return m.iou; }},
      {"precision", [](const VolumeMetrics& m) { return m.precision; }},
      {"sensitivity", [](const VolumeMetrics& m) { return m.sensitivity; }},
      {"specificity", [](const VolumeMetrics& m) { return m.specificity; }},
      {"hd_mm", [](const VolumeMetrics& m) { return m.hd; }},
      {"hd95_mm", [](const VolumeMetrics& m) { return m.hd95; }},
      {"assd_mm", [](const VolumeMetrics& m) { return m.assd; }},
      {"pred_ml", [](const VolumeMetrics& m) { return m.pred_ml; }},
      {"true_ml", [](const VolumeMetrics& m) { return m.target_ml; }},
  };
  return cols;
}

std::string number(double v, int digits) {
  if (std::isnan(v)) return "nan";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

}  // namespace

data::Image clean_mask(const data::Image& prob, const MaskCleanup& o) {
  data::Image mask(prob.height, prob.width);
  for (size_t i = 0; i < mask.px.size(); ++i) mask.px[i] = prob.px[i] >= o.threshold ? 1.0f : 0.0f;
  if (o.min_size > 0) mask = data::remove_small_components(mask, o.min_size);
  if (o.largest) mask = data::largest_component(mask);
  if (o.fill_holes) mask = data::fill_holes(mask);
  return mask;
}

VolumePrediction predict_volume(SegNet& net, const data::Volume& image, int slice_axis, const RunConfig& c,
                                Device device, const MaskCleanup& cleanup) {
  FBD_CHECK(!image.empty(), image.source, ": empty volume");
  VolumePrediction out;
  out.slice_axis = slice_axis;
  out.mask.assign(static_cast<size_t>(image.voxels_per_channel()), 0);
  const int64_t n = data::slice_count(image, slice_axis);
  // A few slices per call keeps memory flat for long volumes.
  constexpr int64_t kSlicesPerCall = 32;
  for (int64_t start = 0; start < n; start += kSlicesPerCall) {
    std::vector<data::Sample> slices;
    for (int64_t s = start; s < std::min(n, start + kSlicesPerCall); ++s) {
      data::Sample smp = data::extract_sample(image, slice_axis, s);
      smp.id = std::to_string(s);
      slices.push_back(std::move(smp));
    }
    const std::vector<SlicePrediction> preds = predict_slices(net, slices, c, device);
    for (size_t k = 0; k < preds.size(); ++k) {
      const data::Image mask = clean_mask(preds[k].prob, cleanup);
      const int64_t s = start + int64_t(k);
      if (std::any_of(mask.px.begin(), mask.px.end(), [](float v) { return v != 0.0f; })) out.tumour_slices.push_back(s);
      data::insert_slice(out.mask, image, slice_axis, s, mask);
    }
  }
  return out;
}

std::vector<VolumeScore> evaluate_volumes(SegNet& net, const data::Dataset& ds, const std::vector<std::string>& patients,
                                          const RunConfig& c, Device device, const MaskCleanup& cleanup) {
  const std::set<std::string> wanted(patients.begin(), patients.end());
  std::vector<VolumeScore> rows;
  for (const data::VolumeEntry& v : ds.volumes) {
    if (!wanted.empty() && !wanted.count(v.patient)) continue;
    const auto pair = data::load_volume_pair(v.image_files(), v.mask, v.mask_label, ds.volume_options.channels);
    const VolumePrediction p = predict_volume(net, pair->image, v.slice_axis, c, device, cleanup);
    std::vector<uint8_t> truth(pair->mask.voxels.size());
    for (size_t i = 0; i < truth.size(); ++i) truth[i] = pair->mask.voxels[i] != 0.0f ? 1 : 0;
    const data::Volume& g = pair->image;
    VolumeScore row;
    row.id = v.id;
    row.patient = v.patient;
    row.m = volume_metrics(p.mask.data(), truth.data(), g.nz, g.ny, g.nx, g.dz, g.dy, g.dx);
    rows.push_back(row);
  }
  return rows;
}

std::string volume_table_text(const std::vector<VolumeScore>& rows) {
  std::ostringstream os;
  size_t wid = 6;
  for (const VolumeScore& r : rows) wid = std::max(wid, r.id.size());
  char cell[64];
  std::snprintf(cell, sizeof(cell), "%-*s", int(wid), "volume");
  os << cell;
  for (const Column& col : columns()) {
    std::snprintf(cell, sizeof(cell), " %11s", col.name);
    os << cell;
  }
  os << "\n";
  for (const VolumeScore& r : rows) {
    std::snprintf(cell, sizeof(cell), "%-*s", int(wid), r.id.c_str());
    os << cell;
    for (const Column& col : columns()) {
      std::snprintf(cell, sizeof(cell), " %11s", number(col.get(r.m), 3).c_str());
      os << cell;
    }
    if (r.m.one_empty) os << "  (one mask empty: HD = the volume's diagonal)";
    os << "\n";
  }
  std::snprintf(cell, sizeof(cell), "%-*s", int(wid), "mean");
  os << cell;
  std::string left_out;
  for (const Column& col : columns()) {
    int64_t nan = 0;
    std::snprintf(cell, sizeof(cell), " %11s", number(mean_of(rows, col.get, &nan), 3).c_str());
    os << cell;
    if (nan > 0) left_out += std::string(" ") + col.name + ": " + std::to_string(nan);
  }
  os << "\n";
  if (!left_out.empty()) os << "volumes left out of a mean (metric undefined):" << left_out << "\n";
  return os.str();
}

std::string volume_table_csv(const std::vector<VolumeScore>& rows) {
  std::ostringstream os;
  os << "volume,patient";
  for (const Column& col : columns()) os << "," << col.name;
  os << ",one_empty\n";
  for (const VolumeScore& r : rows) {
    os << r.id << "," << r.patient;
    for (const Column& col : columns()) os << "," << number(col.get(r.m), 6);
    os << "," << (r.m.one_empty ? 1 : 0) << "\n";
  }
  os << "mean,";
  for (const Column& col : columns()) os << "," << number(mean_of(rows, col.get), 6);
  os << ",\n";
  return os.str();
}

}  // namespace fbd::app
