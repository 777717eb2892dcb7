// Scanning a data set folder: the three layouts of dataset.h.
#include "data/dataset.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include "core/error.h"
#include "core/file_io.h"
#include "data/channels.h"
#include "data/nifti.h"
#include "data/volume_dataset.h"
#include "data/volume_io.h"

namespace fbd::data {

namespace fs = std::filesystem;

const char* label_name(Label l) {
  switch (l) {
    case Label::Benign: return "benign";
    case Label::Malignant: return "malignant";
    default: return "unknown";
  }
}

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

bool is_image_ext(const fs::path& p) {
  const std::string e = lower(p.extension().string());
  return e == ".png" || e == ".jpg" || e == ".jpeg";
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "NAME_mask" -> NAME, "NAME_mask_3" -> NAME; false for anything else.
bool mask_stem(const std::string& stem, std::string& base) {
  const size_t at = stem.rfind("_mask");
  if (at == std::string::npos || at == 0) return false;
  const std::string rest = stem.substr(at + 5);
  if (!rest.empty()) {
    if (rest[0] != '_' || rest.size() < 2) return false;
    for (size_t i = 1; i < rest.size(); ++i)
      if (!std::isdigit(static_cast<unsigned char>(rest[i]))) return false;
  }
  base = stem.substr(0, at);
  return true;
}

std::vector<fs::path> sorted_files(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// Masks of `base` among `files`: base_mask.png then base_mask_N.png in numeric order.
std::vector<std::string> masks_for(const std::string& base, const std::map<std::string, fs::path>& masks_by_stem) {
  std::vector<std::pair<int, std::string>> found;
  for (const auto& [stem, path] : masks_by_stem) {
    std::string b;
    if (!mask_stem(stem, b) || b != base) continue;
    const std::string rest = stem.substr(base.size() + 5);
    found.emplace_back(rest.empty() ? 0 : std::stoi(rest.substr(1)) + 1, path.string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(f.second);
  return out;
}

void add_duplicate_problems(Dataset& ds) {
  std::map<std::string, std::vector<const CaseEntry*>> by_id;
  for (const CaseEntry& c : ds.cases) by_id[c.id].push_back(&c);
  for (const auto& [id, list] : by_id) {
    if (list.size() < 2) continue;
    std::string files;
    for (const CaseEntry* c : list) files += (files.empty() ? "" : ", ") + c->image;
    ds.problems.push_back({id, "duplicate id: " + std::to_string(list.size()) + " images share it (" + files + ")"});
  }
}

// ---- layout 1: manifest.csv ----

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  for (auto& f : fields) f = trim(f);
  return fields;
}

// A manifest row's path that cannot even be looked up (a name too long for the file system)
// is a missing file, recorded as a problem like any other, not an exception out of scan_dataset.
bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

void scan_manifest(Dataset& ds, const fs::path& root) {
  ds.layout = "manifest";
  std::error_code ec;
  const fs::path mpath = root / "manifest.csv";
  const std::string mname = mpath.string();
  const std::vector<char> bytes = read_file(mname);
  std::vector<std::string> lines;
  std::string cur;
  for (char c : bytes) {
    if (c == '\n') {
      lines.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  if (!cur.empty()) lines.push_back(cur);
  if (lines.empty()) {
    ds.problems.push_back({mname, "empty manifest (expected the header image,mask,patient,label)"});
    return;
  }
  std::string header = lines[0];
  if (header.size() >= 3 && static_cast<unsigned char>(header[0]) == 0xEF) header = header.substr(3);  // UTF-8 BOM
  const std::vector<std::string> cols = split_csv_line(lower(header));
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (col.count(cols[i])) ds.problems.push_back({mname, "column '" + cols[i] + "' appears twice"});
    col[cols[i]] = i;
    if (cols[i] != "image" && cols[i] != "mask" && cols[i] != "patient" && cols[i] != "label" && cols[i] != "edge")
      ds.problems.push_back({mname, "unknown column '" + cols[i] + "' ignored", false});
  }
  for (const char* need : {"image", "mask", "patient", "label"})
    if (!col.count(need)) {
      ds.problems.push_back(
          {mname, std::string("missing column '") + need + "' (the header must be image,mask,patient,label[,edge])"});
      return;
    }
  for (size_t ln = 1; ln < lines.size(); ++ln) {
    if (trim(lines[ln]).empty()) continue;
    const std::string where = mname + " line " + std::to_string(ln + 1);
    const std::vector<std::string> f = split_csv_line(lines[ln]);
    if (f.size() != cols.size()) {
      ds.problems.push_back(
          {where, "expected " + std::to_string(cols.size()) + " fields, found " + std::to_string(f.size())});
      continue;
    }
    CaseEntry c;
    const std::string image = f[col["image"]], mask = f[col["mask"]];
    c.patient = f[col["patient"]];
    if (image.empty() || mask.empty() || c.patient.empty()) {
      ds.problems.push_back({where, "image, mask and patient must not be empty"});
      continue;
    }
    if (!parse_label(f[col["label"]], c.label)) {
      ds.problems.push_back({where, "label '" + f[col["label"]] + "' is not benign, malignant or unknown"});
      continue;
    }
    // A volume's image may be several files, one per channel group, joined by ';'
    // ("pre.nii.gz;post1.nii.gz").
    std::vector<std::string> image_files;
    for (size_t at = 0;;) {
      const size_t semi = image.find(';', at);
      image_files.push_back(trim(image.substr(at, semi == std::string::npos ? std::string::npos : semi - at)));
      if (semi == std::string::npos) break;
      at = semi + 1;
    }
    const std::string first = image_files[0];
    if (is_nifti_path(first) || is_dicom_folder((root / first).string()) ||
        (is_file(root / first) && is_nifti_path(mask))) {
      VolumeEntry v;
      v.image = (root / first).string();
      for (size_t k = 1; k < image_files.size(); ++k) v.more_images.push_back((root / image_files[k]).string());
      v.mask = (root / mask).string();
      v.patient = c.patient;
      v.label = c.label;
      const auto missing = std::find_if(v.more_images.begin(), v.more_images.end(),
                                        [&](const std::string& f) { return !fs::exists(f, ec); });
      if (!fs::exists(v.image, ec))
        ds.problems.push_back({where, "image " + v.image + " does not exist"});
      else if (missing != v.more_images.end())
        ds.problems.push_back({where, "image channel file " + *missing + " does not exist"});
      else if (!is_file(v.mask))
        ds.problems.push_back({where, "mask " + v.mask + " does not exist"});
      else
        add_volume(ds, std::move(v), where);
      continue;
    }
    if (image_files.size() > 1) {
      ds.problems.push_back({where, "image '" + image +
                                        "' lists several files: only a volume's channels can be (2-D images are one "
                                        "grey channel)"});
      continue;
    }
    c.image = (root / image).string();
    c.id = fs::path(image).stem().string();
    if (!is_file(c.image)) ds.problems.push_back({where, "image " + c.image + " does not exist"});
    const std::string mpath_case = (root / mask).string();
    if (!is_file(mpath_case))
      ds.problems.push_back({where, "mask " + mpath_case + " does not exist"});
    else
      c.masks.push_back(mpath_case);
    if (col.count("edge") && !f[col["edge"]].empty()) {
      c.edge = (root / f[col["edge"]]).string();
      if (!is_file(c.edge)) {
        ds.problems.push_back({where, "edge " + c.edge + " does not exist (it will be derived from the mask)", false});
        c.edge.clear();
      }
    }
    ds.cases.push_back(std::move(c));
  }
}

// ---- layout 2: images/ + masks/ ----

void scan_folders(Dataset& ds, const fs::path& root) {
  ds.layout = "images/masks";
  std::map<std::string, fs::path> masks_by_stem, edges_by_stem;
  std::set<std::string> used_masks;
  for (const fs::path& p : sorted_files(root / "masks"))
    if (lower(p.extension().string()) == ".png") masks_by_stem[p.stem().string()] = p;
  const bool has_edges = fs::is_directory(root / "edges");
  if (has_edges)
    for (const fs::path& p : sorted_files(root / "edges"))
      if (lower(p.extension().string()) == ".png") edges_by_stem[p.stem().string()] = p;
  for (const fs::path& p : sorted_files(root / "images")) {
    if (!is_image_ext(p)) {
      ds.problems.push_back({p.string(), "not a PNG or JPEG file, ignored", false});
      continue;
    }
    CaseEntry c;
    c.id = c.patient = p.stem().string();
    c.image = p.string();
    if (auto it = masks_by_stem.find(c.id); it != masks_by_stem.end()) {
      c.masks.push_back(it->second.string());
      used_masks.insert(c.id);
    } else {
      c.masks = masks_for(c.id, masks_by_stem);
      for (const std::string& m : c.masks) used_masks.insert(fs::path(m).stem().string());
    }
    if (c.masks.empty())
      ds.problems.push_back({c.image, "no mask (looked for masks/" + c.id + ".png and masks/" + c.id + "_mask.png)"});
    if (has_edges) {
      if (auto it = edges_by_stem.find(c.id); it != edges_by_stem.end())
        c.edge = it->second.string();
      else
        ds.problems.push_back(
            {c.image, "no edges/" + c.id + ".png: the edge mask will be derived from the mask", false});
    }
    ds.cases.push_back(std::move(c));
  }
  for (const auto& [stem, path] : masks_by_stem)
    if (!used_masks.count(stem)) ds.problems.push_back({path.string(), "mask without an image, ignored", false});
}

// ---- layout 3: NAME.png + NAME_mask.png (+ subfolders) ----

void scan_flat_dir(Dataset& ds, const fs::path& dir, Label label) {
  std::map<std::string, fs::path> images, masks, edges;
  for (const fs::path& p : sorted_files(dir)) {
    if (!is_image_ext(p)) continue;
    const std::string stem = p.stem().string();
    std::string base;
    if (mask_stem(stem, base))
      masks[stem] = p;
    else if (ends_with(stem, "_edge") && stem.size() > 5)
      edges[stem.substr(0, stem.size() - 5)] = p;
    else
      images[stem] = p;
  }
  std::set<std::string> used;
  for (const auto& [stem, path] : images) {
    CaseEntry c;
    c.id = c.patient = stem;
    c.image = path.string();
    c.label = label;
    c.masks = masks_for(stem, masks);
    for (const std::string& m : c.masks) used.insert(fs::path(m).stem().string());
    if (c.masks.empty()) ds.problems.push_back({c.image, "no mask (looked for " + stem + "_mask.png)"});
    if (auto it = edges.find(stem); it != edges.end()) c.edge = it->second.string();
    ds.cases.push_back(std::move(c));
  }
  for (const auto& [stem, path] : masks)
    if (!used.count(stem)) ds.problems.push_back({path.string(), "mask without an image, ignored", false});
}

void scan_flat(Dataset& ds, const fs::path& root) {
  ds.layout = "flat";
  scan_flat_dir(ds, root, Label::Unknown);
  std::vector<fs::path> subdirs;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec))
    if (e.is_directory()) subdirs.push_back(e.path());
  std::sort(subdirs.begin(), subdirs.end());
  for (const fs::path& d : subdirs) {
    Label label = Label::Unknown;
    parse_label(d.filename().string(), label);
    scan_flat_dir(ds, d, label);
  }
}

}  // namespace

bool parse_label(const std::string& text, Label& out) {
  const std::string t = lower(trim(text));
  if (t.empty() || t == "unknown") {
    out = Label::Unknown;
  } else if (t == "benign" || t == "b") {
    out = Label::Benign;
  } else if (t == "malignant" || t == "m") {
    out = Label::Malignant;
  } else {
    return false;
  }
  return true;
}

std::vector<std::string> Dataset::patients() const {
  std::set<std::string> s;
  for (const CaseEntry& c : cases) s.insert(c.patient);
  return {s.begin(), s.end()};
}

const VolumeEntry* Dataset::find_volume(const std::string& id) const {
  for (const VolumeEntry& v : volumes)
    if (v.id == id) return &v;
  return nullptr;
}

const CaseEntry* Dataset::find(const std::string& id) const {
  for (const CaseEntry& c : cases)
    if (c.id == id) return &c;
  return nullptr;
}

int parse_slice_axis(const std::string& text) {
  const std::string t = lower(trim(text));
  if (t == "auto") return -1;
  if (t == "i" || t == "0") return 0;
  if (t == "j" || t == "1") return 1;
  if (t == "k" || t == "2") return 2;
  FBD_FAIL("--slice-axis must be auto, i, j or k (0, 1 or 2), got '", text, "'");
}

std::string slice_axis_name(int axis) { return axis < 0 ? "auto" : std::string(1, "ijk"[axis]); }

Dataset scan_dataset(const std::string& dir, const VolumeOptions& volumes) {
  std::error_code ec;
  FBD_CHECK(fs::exists(dir, ec), dir, ": no such folder");
  FBD_CHECK(fs::is_directory(dir, ec), dir, ": not a folder");
  FBD_CHECK(volumes.slice_axis >= -1 && volumes.slice_axis <= 2, "slice axis must be auto, i, j or k");
  FBD_CHECK(volumes.mask_label >= 0, "--mask-label must be 0 (binary masks) or a positive label, got ",
            volumes.mask_label);
  const ChannelSpec channels = parse_channels(volumes.channels);
  Dataset ds;
  ds.root = dir;
  ds.volume_options = volumes;
  ds.volume_options.channels = channels_text(channels);
  const fs::path root(dir);
  if (fs::is_regular_file(root / "manifest.csv")) {
    scan_manifest(ds, root);
  } else if (fs::is_regular_file(root / "dataset.json") && fs::is_directory(root / "imagesTr")) {
    scan_nnunet(ds, dir);
  } else if (fs::is_directory(root / "images")) {
    if (!fs::is_directory(root / "masks")) ds.problems.push_back({dir, "has images/ but no masks/ folder"});
    scan_folders(ds, root);
  } else {
    scan_flat(ds, root);
  }
  if (ds.cases.empty() && !ds.volumes.empty())
    ds.problems.push_back({dir, "no volume's mask holds tumour: no slice to train or test on"});
  else if (ds.cases.empty())
    ds.problems.push_back({dir,
                           "no images found (expected manifest.csv, images/ + masks/, NAME.png + "
                           "NAME_mask.png, or nnU-Net's dataset.json + imagesTr/ + labelsTr/)"});
  if (ds.layout != "manifest" && ds.layout != "nnunet" && !ds.cases.empty())
    ds.problems.push_back({dir,
                           "no manifest.csv: each image is treated as its own patient, so k-fold cannot keep "
                           "a patient's slices together",
                           false});
  if (ds.volumes.empty() && !ds.cases.empty()) {
    // 2-D images (PNG, JPEG) are read as one grey channel.
    std::string why = channel_problem(channels, 1);
    if (why.empty() && output_channels(channels, 1) != 1)
      why = "--channels " + channels_text(channels) + " asks for " + std::to_string(output_channels(channels, 1)) +
            " channels of 2-D images, which have one";
    if (!why.empty()) ds.problems.push_back({dir, why});
  }
  add_duplicate_problems(ds);
  return ds;
}

}  // namespace fbd::data
