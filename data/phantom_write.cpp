// Writing a phantom data set to disk, and its gallery figure.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "core/file_io.h"
#include "data/draw.h"
#include "data/morphology.h"
#include "data/nifti.h"
#include "data/phantom.h"
#include "data/quadrants.h"

namespace fbd::data {

namespace fs = std::filesystem;

namespace {

constexpr Rgb kRed = {255, 40, 40}, kYellow = {255, 220, 0}, kWhite = {255, 255, 255};

// The gallery shows slices at most this large (bigger ones are scaled down).
constexpr int64_t kMaxCell = 256;

void draw_quadrant_lines(RgbImage& dst, const QuadrantLayout& q, int64_t y0, int64_t x0, double scale) {
  const int64_t sx = int64_t(std::lround(double(q.split_x) * scale)),
                sy = int64_t(std::lround(double(q.split_y) * scale));
  const int64_t h = int64_t(std::lround(double(q.height) * scale)), w = int64_t(std::lround(double(q.width) * scale));
  for (int64_t y = 0; y < h; y += 1)
    if ((y / 3) % 2 == 0 && sx >= 0 && sx < w) std::copy(kYellow.begin(), kYellow.end(), dst.at(y0 + y, x0 + sx));
  for (int64_t x = 0; x < w; x += 1)
    if ((x / 3) % 2 == 0 && sy >= 0 && sy < h) std::copy(kYellow.begin(), kYellow.end(), dst.at(y0 + sy, x0 + x));
}

void write_phantom_pngs(const fs::path& root, const PhantomOptions& o, const std::vector<PhantomSlice>& slices) {
  // Encode and write the PNGs on the same threads as the synthesis would use.
  std::atomic<size_t> next{0};
  std::exception_ptr failure;
  std::mutex mu;
  auto work = [&] {
    for (size_t i = next++; i < slices.size(); i = next++) {
      try {
        const PhantomSlice& s = slices[i];
        write_png((root / "images" / (s.id + ".png")).string(), s.image, o.bit_depth);
        write_mask_png((root / "masks" / (s.id + ".png")).string(), s.mask);
        write_mask_png((root / "edges" / (s.id + ".png")).string(), edges_from_mask(s.mask, o.edge_width));
        write_mask_png((root / "breasts" / (s.id + ".png")).string(), s.breast);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!failure) failure = std::current_exception();
      }
    }
  };
  int threads = o.threads > 0 ? o.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  threads = int(std::min<size_t>(size_t(threads), slices.size()));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);

}

// nnU-Net's channel suffix: "_0000", "_0001", ...
std::string phantom_channel_suffix(int channel) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "_%04d", channel);
  return buf;
}

// One volume per patient: the patient's slices stacked along k (data/phantom.h).
void write_phantom_volumes(const fs::path& root, const PhantomOptions& o, const std::vector<PhantomSlice>& slices) {
  std::map<std::string, std::vector<const PhantomSlice*>> by_patient;
  for (const PhantomSlice& s : slices) by_patient[s.patient].push_back(&s);
  for (const auto& [patient, ps] : by_patient) {
    Volume image, mask;
    for (Volume* v : {&image, &mask}) {
      v->nx = o.size;
      v->ny = o.size;
      v->nz = int64_t(ps.size());
      v->dx = v->dy = o.spacing_xy;
      v->dz = o.spacing_z;
      v->affine = phantom_affine(o, v->nx, v->ny, v->nz);
      set_space_from_affine(*v);
      v->voxels.resize(static_cast<size_t>(v->voxels_per_channel()));
    }
    std::vector<uint8_t> labels(mask.voxels.size());
    const size_t plane = size_t(o.size) * size_t(o.size);
    for (size_t k = 0; k < ps.size(); ++k)
      for (size_t p = 0; p < plane; ++p) labels[k * plane + p] = ps[k]->mask.px[p] != 0.0f ? 1 : 0;
    // One file per DCE phase (nnU-Net's channels _0000, _0001, ...), or the enhanced scan alone.
    for (int ph = 0; ph < o.phases; ++ph) {
      for (size_t k = 0; k < ps.size(); ++k) {
        const Image& src = o.phases >= 2 ? ps[k]->phases[size_t(ph)] : ps[k]->image;
        for (size_t p = 0; p < plane; ++p) image.voxels[k * plane + p] = std::round(src.px[p] * 4095.0f);
      }
      write_nifti((root / "imagesTr" / (patient + phantom_channel_suffix(ph) + ".nii.gz")).string(), image,
                  NiftiDtype::Int16);
    }
    write_nifti_mask((root / "labelsTr" / (patient + ".nii.gz")).string(), labels, mask);
  }
  nlohmann::json ds;
  ds["name"] = "fbd synthetic breast MRI";
  ds["channel_names"] = nlohmann::json::object();
  for (int ph = 0; ph < o.phases; ++ph)
    ds["channel_names"][std::to_string(ph)] = o.phases == 1 ? std::string("T1 DCE")
                                              : ph == 0     ? std::string("T1 pre-contrast")
                                                            : "T1 post-contrast " + std::to_string(ph);
  ds["labels"] = {{"background", 0}, {"tumour", 1}};
  ds["numTraining"] = by_patient.size();
  ds["file_ending"] = ".nii.gz";
  const std::string text = ds.dump(1) + "\n";
  write_file_atomic((root / "dataset.json").string(), [&](std::ostream& os) { os << text; });
}

}  // namespace

Affine phantom_affine(const PhantomOptions& o, int64_t nx, int64_t ny, int64_t nz) {
  Affine a;
  a.m[0] = {-o.spacing_xy, 0, 0, o.spacing_xy * double(nx - 1) / 2};
  a.m[1] = {0, -o.spacing_xy, 0, o.spacing_xy * double(ny - 1) / 2};
  a.m[2] = {0, 0, o.spacing_z, -o.spacing_z * double(nz - 1) / 2};
  return a;
}

RgbImage phantom_gallery(const std::vector<PhantomSlice>& slices, const PhantomOptions& o) {
  FBD_CHECK(!slices.empty(), "phantom gallery: no slices");
  // Patients to show: alternate benign and malignant, up to four.
  std::vector<std::string> benign, malignant;
  for (const PhantomSlice& s : slices) {
    auto& v = s.label == Label::Malignant ? malignant : benign;
    if (std::find(v.begin(), v.end(), s.patient) == v.end()) v.push_back(s.patient);
  }
  std::vector<std::string> shown;
  for (size_t i = 0; shown.size() < 4 && (i < benign.size() || i < malignant.size()); ++i) {
    if (i < benign.size()) shown.push_back(benign[i]);
    if (i < malignant.size() && shown.size() < 4) shown.push_back(malignant[i]);
  }
  const int64_t cell = std::min<int64_t>(o.size, kMaxCell);
  const double scale = double(cell) / double(o.size);
  const int picks = std::min(o.slices, 3);
  const int text_scale = cell >= 128 ? 2 : 1;
  const int64_t pad = 4, label_h = text_height(text_scale) + 6, title_h = text_height(text_scale) + 10;
  const int64_t width = pad + picks * 2 * (cell + pad);
  const int64_t height = title_h + int64_t(shown.size()) * (label_h + cell + pad) + pad;
  RgbImage fig(height, width, 24, 24, 24);
  draw_text(fig, 4, pad, "fbd synthetic breast MRI: slice | tumour (red), quadrant split (yellow)", kWhite, text_scale);
  int64_t y = title_h;
  for (const std::string& pid : shown) {
    std::vector<const PhantomSlice*> ps;
    for (const PhantomSlice& s : slices)
      if (s.patient == pid) ps.push_back(&s);
    std::string caption = pid + "  " + label_name(ps.front()->label) + "  slices";
    std::vector<const PhantomSlice*> pick;
    for (int j = 0; j < picks; ++j) {
      const size_t idx = picks == 1 ? 0 : size_t(j) * (ps.size() - 1) / size_t(picks - 1);
      pick.push_back(ps[idx]);
      caption += ' ';
      caption += std::to_string(ps[idx]->slice);
    }
    draw_text(fig, y + 2, pad, caption, kWhite, text_scale);
    y += label_h;
    int64_t x = pad;
    for (const PhantomSlice* s : pick) {
      const Image img = cell == o.size ? s->image : resize_bilinear(s->image, cell, cell);
      const Image m = cell == o.size ? s->mask : resize_nearest(s->mask, cell, cell);
      const RgbImage plain = gray_to_rgb(img);
      blit(fig, plain, y, x);
      blit(fig, plain, y, x + cell + pad);
      draw_outline(fig, m, y, x + cell + pad, kRed);
      draw_quadrant_lines(fig, quadrant_layout(s->image), y, x + cell + pad, scale);
      x += 2 * (cell + pad);
    }
    y += cell + pad;
  }
  return fig;
}

PhantomSummary write_phantom(const std::string& dir, const PhantomOptions& o) {
  check_phantom_options(o);
  const fs::path root(dir);
  std::error_code ec;
  if (fs::exists(root, ec)) {
    FBD_CHECK(fs::is_directory(root, ec), dir, ": exists and is not a folder");
    const bool empty = fs::directory_iterator(root, ec) == fs::directory_iterator();
    FBD_CHECK(empty || fs::exists(root / "phantom.json"), dir,
              ": folder is not empty and holds no earlier phantom (phantom.json); choose a new or empty folder");
    for (const char* sub : {"images", "masks", "edges", "breasts", "imagesTr", "labelsTr"}) fs::remove_all(root / sub, ec);
    for (const char* f : {"manifest.csv", "phantom.json", "gallery.png", "dataset.json"}) fs::remove(root / f, ec);
  }
  const bool nifti = o.format == "nifti";
  const std::vector<const char*> subs =
      nifti ? std::vector<const char*>{"imagesTr", "labelsTr"} : std::vector<const char*>{"images", "masks", "edges", "breasts"};
  for (const char* sub : subs) {
    fs::create_directories(root / sub, ec);
    FBD_CHECK(!ec, (root / sub).string(), ": cannot create folder (", ec.message(), ")");
  }

  const std::vector<PhantomSlice> slices = synth_phantom(o);
  if (nifti) {
    write_phantom_volumes(root, o, slices);
  } else {
    write_phantom_pngs(root, o, slices);
  }

  PhantomSummary sum;
  sum.cases = slices.size();
  sum.min_tumour_fraction = 1.0;
  nlohmann::json meta;
  meta["generator"] = "fbd synth";
  meta["patients"] = o.patients;
  meta["slices_per_patient"] = o.slices;
  meta["size"] = o.size;
  meta["seed"] = o.seed;
  meta["malignant_fraction"] = o.malignant_fraction;
  meta["noise"] = o.noise;
  meta["style"] = o.style;
  meta["bit_depth"] = o.bit_depth;
  meta["edge_width"] = o.edge_width;
  meta["format"] = o.format;
  if (nifti) meta["spacing_mm"] = {o.spacing_xy, o.spacing_xy, o.spacing_z};
  if (nifti) meta["phases"] = o.phases;
  meta["cases"] = nlohmann::json::array();
  std::ostringstream manifest;
  manifest << (nifti ? "image,mask,patient,label\n" : "image,mask,patient,label,edge\n");
  std::string last_patient;
  for (const PhantomSlice& s : slices) {
    const double f = mean_value(s.mask);
    sum.mean_tumour_fraction += f;
    sum.min_tumour_fraction = std::min(sum.min_tumour_fraction, f);
    sum.max_tumour_fraction = std::max(sum.max_tumour_fraction, f);
    if (s.patient != last_patient) {
      (s.label == Label::Malignant ? sum.malignant : sum.benign) += 1;
      last_patient = s.patient;
      if (nifti) {
        for (int ph = 0; ph < o.phases; ++ph)
          manifest << (ph > 0 ? ";" : "") << "imagesTr/" << s.patient << phantom_channel_suffix(ph) << ".nii.gz";
        manifest << ",labelsTr/" << s.patient << ".nii.gz," << s.patient << "," << label_name(s.label) << "\n";
      }
    }
    if (!nifti)
      manifest << "images/" << s.id << ".png,masks/" << s.id << ".png," << s.patient << "," << label_name(s.label)
             << ",edges/" << s.id << ".png\n";
    meta["cases"].push_back({{"id", s.id},
                             {"patient", s.patient},
                             {"slice", s.slice},
                             {"label", label_name(s.label)},
                             {"tumour_fraction", f},
                             {"tumour_side", s.tumour_left ? "left" : "right"},
                             {"axis_x", s.axis_x},
                             {"cleft_y", s.cleft_y}});
  }
  sum.mean_tumour_fraction /= double(slices.size());
  write_png((root / "gallery.png").string(), phantom_gallery(slices, o));
  const std::string meta_text = meta.dump(1) + "\n";
  write_file_atomic((root / "phantom.json").string(), [&](std::ostream& os) { os << meta_text; });
  // The manifest goes last: a folder with a manifest is a complete data set.
  const std::string manifest_text = manifest.str();
  write_file_atomic((root / "manifest.csv").string(), [&](std::ostream& os) { os << manifest_text; });
  return sum;
}

}  // namespace fbd::data
