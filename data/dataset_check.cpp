// Loading cases and validating a whole data set (`fbd check-data`).
#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

#include "core/error.h"
#include "data/dataset.h"
#include "data/image_io.h"
#include "data/morphology.h"
#include "data/volume_dataset.h"
#include "data/volume_slices.h"

namespace fbd::data {

namespace {

std::string size_str(int64_t h, int64_t w) { return std::to_string(h) + "x" + std::to_string(w); }

std::string percent(double f) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f%%", 100.0 * f);
  return buf;
}

}  // namespace

namespace {

Sample load_volume_slice(const CaseEntry& c, int edge_width) {
  FBD_CHECK(c.masks.size() == 1, c.image, ": a volume has exactly one mask volume");
  const auto pair = load_volume_pair(c.image_files(), c.masks[0], c.mask_label, c.channels);
  Sample s = extract_sample(pair->image, c.slice_axis, c.slice);
  s.id = c.id;
  s.mask = extract_slice(pair->mask, c.slice_axis, c.slice);
  s.edge = edges_from_mask(s.mask, edge_width);
  return s;
}

// check_dataset for the volumes: each pair read and checked once (through the cache its slice
// cases then load from); the mask's values were recorded by the scan.
void check_volumes(const Dataset& ds, CheckReport& rep) {
  for (const VolumeEntry& v : ds.volumes) {
    VolumeStats st;
    st.id = v.id;
    st.patient = v.patient;
    st.slice_axis = v.slice_axis;
    st.slices = v.slices;
    st.tumour_slices = int64_t(v.tumour_slices.size());
    try {
      const auto pair = load_volume_pair(v.image_files(), v.mask, v.mask_label, ds.volume_options.channels);
      const Volume& grid = pair->image;
      st.shape = std::to_string(grid.nx) + "x" + std::to_string(grid.ny) + "x" + std::to_string(grid.nz);
      st.spacing = grid.spacing_str();
      st.orientation = grid.orientation_code();
      st.label_values = v.label_values;
      st.channels = std::to_string(grid.channels);
      if (grid.channels != v.image_channels || ds.volume_options.channels != "all")
        st.channels += " (" + ds.volume_options.channels + " of " + std::to_string(v.image_channels) + ")";
      int64_t fg = 0;
      for (float x : pair->mask.voxels) fg += x != 0.0f;
      st.tumour_ml = double(fg) * grid.dx * grid.dy * grid.dz / 1000.0;
      st.ok = true;
    } catch (const Error& e) {
      rep.problems.push_back({"", e.what()});
    }
    rep.volumes.push_back(st);
  }
}

}  // namespace

Sample load_case(const CaseEntry& c, int edge_width) {
  if (c.is_volume_slice()) return load_volume_slice(c, edge_width);
  Sample s;
  s.id = c.id;
  s.image = read_image(c.image);
  FBD_CHECK(!c.masks.empty(), c.image, ": no mask for this image");
  for (const std::string& path : c.masks) {
    const Image m = read_mask(path);
    FBD_CHECK(m.same_size(s.image), path, ": mask is ", m.size_str(), " but its image ", c.image, " is ",
              s.image.size_str());
    if (s.mask.empty()) {
      s.mask = m;
    } else {
      for (size_t i = 0; i < m.px.size(); ++i) s.mask.px[i] = std::max(s.mask.px[i], m.px[i]);
    }
  }
  if (!c.edge.empty()) {
    s.edge = read_mask(c.edge);
    FBD_CHECK(s.edge.same_size(s.image), c.edge, ": edge mask is ", s.edge.size_str(), " but its image ", c.image,
              " is ", s.image.size_str());
  } else {
    s.edge = edges_from_mask(s.mask, edge_width);
  }
  return s;
}

size_t CheckReport::errors() const {
  return size_t(std::count_if(problems.begin(), problems.end(), [](const Problem& p) { return p.error; }));
}
size_t CheckReport::warnings() const { return problems.size() - errors(); }

CheckReport check_dataset(const Dataset& ds) {
  CheckReport rep;
  rep.problems = ds.problems;
  check_volumes(ds, rep);
  for (const CaseEntry& c : ds.cases) {
    CaseStats st;
    st.id = c.id;
    st.patient = c.patient;
    st.label = c.label;
    if (c.is_volume_slice()) {
      try {
        const Sample s = load_volume_slice(c, 1);
        st.height = s.image.height;
        st.width = s.image.width;
        st.foreground = mean_value(s.mask);
        st.ok = true;
      } catch (const Error&) {
        // the volume's problem is listed once, by check_volumes
      }
      rep.cases.push_back(st);
      continue;
    }
    bool ok = true;
    RawImage img;
    try {
      img = read_raw_image(c.image);
      st.height = img.height;
      st.width = img.width;
      st.bit_depth = img.bit_depth;
    } catch (const Error& e) {
      rep.problems.push_back({"", e.what()});
      ok = false;
    }
    if (c.masks.empty()) ok = false;  // already listed by the scan
    int64_t fg = 0, total = 0;
    std::vector<float> merged;
    for (const std::string& path : c.masks) {
      try {
        const RawImage m = read_raw_image(path);
        if (m.format != ImageFormat::PNG) {
          rep.problems.push_back({path, "masks must be PNG (JPEG's lossy compression makes a mask non-binary)"});
          ok = false;
          continue;
        }
        if (const std::string why = mask_value_problem(m); !why.empty()) {
          rep.problems.push_back({path, "mask is not binary: " + why});
          ok = false;
          continue;
        }
        if (ok && (m.height != img.height || m.width != img.width)) {
          rep.problems.push_back({path, "mask is " + size_str(m.height, m.width) + " but its image is " +
                                            size_str(img.height, img.width)});
          ok = false;
          continue;
        }
        if (merged.empty()) merged.assign(m.gray.size(), 0.0f);
        if (merged.size() == m.gray.size())
          for (size_t i = 0; i < m.gray.size(); ++i) merged[i] = std::max(merged[i], m.gray[i] != 0.0f ? 1.0f : 0.0f);
      } catch (const Error& e) {
        rep.problems.push_back({"", e.what()});
        ok = false;
      }
    }
    if (ok && !merged.empty()) {
      for (float v : merged) fg += v != 0.0f;
      total = int64_t(merged.size());
      st.foreground = double(fg) / double(total);
      if (fg == 0) rep.problems.push_back({c.id, "mask is empty (no tumour on this image)", false});
    }
    if (!c.edge.empty()) {
      try {
        const RawImage e = read_raw_image(c.edge);
        if (const std::string why = mask_value_problem(e); !why.empty() || e.format != ImageFormat::PNG) {
          rep.problems.push_back({c.edge, "edge mask is not a binary PNG" + (why.empty() ? "" : ": " + why)});
          ok = false;
        } else if (st.height > 0 && (e.height != st.height || e.width != st.width)) {
          rep.problems.push_back({c.edge, "edge mask is " + size_str(e.height, e.width) + " but its image is " +
                                              size_str(st.height, st.width)});
          ok = false;
        }
      } catch (const Error& e) {
        rep.problems.push_back({"", e.what()});
        ok = false;
      }
    }
    st.ok = ok;
    rep.cases.push_back(st);
  }
  return rep;
}

std::string CheckReport::case_table() const {
  std::ostringstream os;
  size_t wid = 2, wpat = 7;
  for (const CaseStats& c : cases) {
    wid = std::max(wid, c.id.size());
    wpat = std::max(wpat, c.patient.size());
  }
  char line[512];
  std::snprintf(line, sizeof(line), "%-*s  %-*s  %-9s  %-11s  %4s  %10s  %s\n", int(wid), "id", int(wpat), "patient",
                "label", "size", "bits", "foreground", "status");
  os << line;
  for (const CaseStats& c : cases) {
    std::snprintf(line, sizeof(line), "%-*s  %-*s  %-9s  %-11s  %4s  %10s  %s\n", int(wid), c.id.c_str(), int(wpat),
                  c.patient.c_str(), label_name(c.label), c.height ? size_str(c.height, c.width).c_str() : "-",
                  c.bit_depth ? std::to_string(c.bit_depth).c_str() : "-", c.ok ? percent(c.foreground).c_str() : "-",
                  c.ok ? "ok" : "PROBLEM");
    os << line;
  }
  return os.str();
}

std::string CheckReport::volume_table() const {
  if (volumes.empty()) return "";
  std::ostringstream os;
  size_t wid = 6, wpat = 7, wch = 8;
  for (const VolumeStats& v : volumes) {
    wid = std::max(wid, v.id.size());
    wpat = std::max(wpat, v.patient.size());
    wch = std::max(wch, v.channels.size());
  }
  char line[1024];
  std::snprintf(line, sizeof(line), "%-*s  %-*s  %-14s  %-*s  %-22s  %-6s  %-4s  %-13s  %-7s  %10s  %s\n", int(wid),
                "volume", int(wpat), "patient", "shape", int(wch), "channels", "spacing", "orient", "axis",
                "tumour slices", "labels", "tumour ml", "status");
  os << line;
  for (const VolumeStats& v : volumes) {
    const std::string slices = std::to_string(v.tumour_slices) + " of " + std::to_string(v.slices);
    char ml[32] = "-";
    if (v.ok) std::snprintf(ml, sizeof(ml), "%.2f", v.tumour_ml);
    const char axis[2] = {"ijk"[v.slice_axis], 0};
    std::snprintf(line, sizeof(line), "%-*s  %-*s  %-14s  %-*s  %-22s  %-6s  %-4s  %-13s  %-7s  %10s  %s\n", int(wid),
                  v.id.c_str(), int(wpat), v.patient.c_str(), v.shape.empty() ? "-" : v.shape.c_str(), int(wch),
                  v.channels.empty() ? "-" : v.channels.c_str(), v.spacing.empty() ? "-" : v.spacing.c_str(),
                  v.orientation.empty() ? "-" : v.orientation.c_str(), axis, slices.c_str(),
                  v.label_values.empty() ? "-" : v.label_values.c_str(), ml, v.ok ? "ok" : "PROBLEM");
    os << line;
  }
  return os.str();
}

std::string CheckReport::summary(const Dataset& ds) const {
  std::ostringstream os;
  size_t ok = 0, empty_masks = 0;
  std::map<std::string, size_t> sizes, labels, depths;
  std::vector<double> fg;
  for (const CaseStats& c : cases) {
    ok += c.ok;
    if (c.height) ++sizes[size_str(c.height, c.width)];
    if (c.bit_depth) ++depths[std::to_string(c.bit_depth) + "-bit"];
    if (c.ok) {
      fg.push_back(c.foreground);
      empty_masks += c.foreground == 0.0;
    }
  }
  std::map<std::string, Label> patient_label;
  for (const CaseEntry& c : ds.cases) patient_label[c.patient] = c.label;
  for (const auto& [p, l] : patient_label) ++labels[label_name(l)];
  os << "data set: " << ds.root << " (layout " << (ds.layout.empty() ? "none" : ds.layout) << ")\n";
  if (!volumes.empty()) {
    size_t vok = 0;
    for (const VolumeStats& v : volumes) vok += v.ok;
    os << "volumes: " << volumes.size() << " (" << vok << " ok); their slices with tumour are the cases\n";
    os << "input channels: " << ds.channels
       << (ds.volume_options.channels == "all" ? std::string(" (every channel of the images)")
                                               : " (--channels " + ds.volume_options.channels + ")")
       << "\n";
  }
  os << "cases: " << cases.size() << " (" << ok << " ok), patients: " << patient_label.size() << "\n";
  os << "patients by label:";
  for (const char* l : {"benign", "malignant", "unknown"}) os << " " << l << " " << labels[l];
  os << "\n";
  os << "sizes:";
  for (const auto& [s, n] : sizes) os << " " << s << " (" << n << ")";
  if (sizes.empty()) os << " -";
  os << "\nbit depths:";
  for (const auto& [d, n] : depths) os << " " << d << " (" << n << ")";
  if (depths.empty()) os << " -";
  os << "\n";
  if (!fg.empty()) {
    std::sort(fg.begin(), fg.end());
    double mean = 0.0;
    for (double f : fg) mean += f;
    mean /= double(fg.size());
    os << "foreground fraction: min " << percent(fg.front()) << ", median " << percent(fg[fg.size() / 2]) << ", mean "
       << percent(mean) << ", max " << percent(fg.back()) << ", empty masks " << empty_masks << "\n";
  }
  os << "problems: " << errors() << " errors, " << warnings() << " warnings\n";
  return os.str();
}

}  // namespace fbd::data
