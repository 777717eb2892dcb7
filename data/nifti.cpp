// NIfTI through nifti_clib: the library parses the header (NIfTI-1 or -2, either byte order,
// .nii / .nii.gz / .hdr + .img) and writes files; fbd checks the header's fields itself first
// (so that every refusal is one clear line, and nothing is allocated for a header that asks
// for too much) and reads the voxel bytes itself (zlib or stdio), because nifti_image_load
// silently replaces NaN and infinite floats with 0 (fbd must refuse them, not train on zeros).
#include "data/nifti.h"

#include <nifti2_io.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <system_error>
#include <type_traits>

#include "core/error.h"

namespace fbd::data {

namespace {

// nifti_clib prints its complaints to stderr at debug level 1 (its default); fbd reports
// failures itself, so turn that off once, before the first call into the library. (A few
// messages are printed whatever the level; fbd's own header checks run first so that these
// are rarely reached.)
void quiet_library() {
  static const bool once = [] {
    nifti_set_debug_level(0);
    return true;
  }();
  (void)once;
}

struct NimFree {
  void operator()(nifti_image* p) const { nifti_image_free(p); }
};
using NimPtr = std::unique_ptr<nifti_image, NimFree>;

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzPtr = std::unique_ptr<std::remove_pointer_t<gzFile>, GzCloser>;
struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

bool ends_with_ci(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  if (s.size() < n) return false;
  for (size_t i = 0; i < n; ++i)
    if (std::tolower(static_cast<unsigned char>(s[s.size() - n + i])) != suffix[i]) return false;
  return true;
}

int64_t file_size_or(const std::string& path, int64_t otherwise) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(path, ec);
  return ec ? otherwise : static_cast<int64_t>(n);
}

bool supported_datatype(int dt) {
  switch (dt) {
    case DT_INT8:
    case DT_UINT8:
    case DT_INT16:
    case DT_UINT16:
    case DT_INT32:
    case DT_UINT32:
    case DT_FLOAT32:
    case DT_FLOAT64: return true;
    default: return false;
  }
}

// The fields fbd checks before it lets nifti_clib build an image, taken from the raw header
// (byte-swapped to this machine's order).
struct RawHeader {
  int version = 0;      // 1 or 2
  bool single = false;  // "n+1" / "n+2": header and data in one file
  int64_t dim[8] = {};
  int datatype = 0;
  double vox_offset = 0;
  int header_bytes = 0;  // 348 or 540
};

uint32_t bswap32(uint32_t v) { return (v >> 24) | ((v >> 8) & 0xFF00u) | ((v << 8) & 0xFF0000u) | (v << 24); }

RawHeader read_raw_header(const std::string& path) {
  int version = 0;
  std::unique_ptr<void, decltype(&std::free)> raw(nifti_read_header(path.c_str(), &version, 0), &std::free);
  if (!raw) {
    const int64_t size = file_size_or(path, -1);
    FBD_CHECK(!(size >= 0 && size < 348 && !ends_with_ci(path, ".gz")), path, ": truncated NIfTI header (the file has ",
              size, " bytes, a header at least 348)");
    FBD_FAIL(path, ": not a NIfTI file (no NIfTI-1 or NIfTI-2 header; or the header is cut short)");
  }
  RawHeader h;
  h.version = version;
  if (version == 1) {
    auto* p = static_cast<nifti_1_header*>(raw.get());
    if (p->sizeof_hdr != 348 && bswap32(static_cast<uint32_t>(p->sizeof_hdr)) == 348) swap_nifti_header(p, 1);
    FBD_CHECK(p->sizeof_hdr == 348, path, ": not a NIfTI file (bad header size ", p->sizeof_hdr, ")");
    const std::string magic(p->magic, strnlen(p->magic, sizeof p->magic));
    FBD_CHECK(magic == "n+1" || magic == "ni1", path,
              ": an ANALYZE 7.5 header, not NIfTI (no NIfTI magic string): fbd reads NIfTI-1 and NIfTI-2 only");
    h.single = magic == "n+1";
    for (int i = 0; i < 8; ++i) h.dim[i] = p->dim[i];
    h.datatype = p->datatype;
    h.vox_offset = p->vox_offset;
    h.header_bytes = 348;
  } else if (version == 2) {
    auto* p = static_cast<nifti_2_header*>(raw.get());
    if (p->sizeof_hdr != 540 && bswap32(static_cast<uint32_t>(p->sizeof_hdr)) == 540) swap_nifti_header(p, 2);
    FBD_CHECK(p->sizeof_hdr == 540, path, ": not a NIfTI file (bad header size ", p->sizeof_hdr, ")");
    FBD_CHECK(p->magic[0] == 'n' && (p->magic[1] == '+' || p->magic[1] == 'i') && p->magic[2] == '2', path,
              ": not a NIfTI-2 file (bad magic string)");
    h.single = p->magic[1] == '+';
    for (int i = 0; i < 8; ++i) h.dim[i] = p->dim[i];
    h.datatype = p->datatype;
    h.vox_offset = static_cast<double>(p->vox_offset);
    h.header_bytes = 540;
  } else {
    FBD_FAIL(path, ": not a NIfTI file (no NIfTI-1 or NIfTI-2 header)");
  }
  return h;
}

std::string dims_str(const RawHeader& h) {
  std::string s = "[";
  for (int64_t i = 0; i <= std::min<int64_t>(h.dim[0], 7); ++i) s += (i ? ", " : "") + std::to_string(h.dim[i]);
  return s + "]";
}

// Everything that can be refused from the header alone, before any voxel is read or allocated.
void check_raw_header(const RawHeader& h, const std::string& path) {
  FBD_CHECK(h.dim[0] >= 1 && h.dim[0] <= 7, path, ": dim[0] = ", h.dim[0],
            " is outside 1..7 (the number of axes): not a valid NIfTI header");
  int64_t nvox = 1;
  for (int64_t i = 1; i <= h.dim[0]; ++i) {
    FBD_CHECK(h.dim[i] >= 1, path, ": dim[", i, "] = ", h.dim[i], ": axis sizes must be positive (dim = ", dims_str(h),
              ")");
    FBD_CHECK(i < 5 || h.dim[i] == 1, path, ": ", h.dim[0], "-D data (dim = ", dims_str(h),
              "): fbd reads at most 4 axes (x, y, z and channels)");
    // Saturating product: a NIfTI-2 header can hold sizes whose product overflows int64.
    nvox =
        h.dim[i] > std::numeric_limits<int64_t>::max() / nvox ? std::numeric_limits<int64_t>::max() : nvox * h.dim[i];
  }
  FBD_CHECK(supported_datatype(h.datatype), path, ": unsupported datatype ", nifti_datatype_string(h.datatype),
            " (code ", h.datatype, "): fbd reads int8, uint8, int16, uint16, int32, uint32, float32 and float64");
  const int64_t limit = max_volume_voxels();
  FBD_CHECK(nvox <= limit, path, ": dim = ", dims_str(h), ": ", nvox, " voxels, more than the limit of ", limit,
            " (FBD_MAX_VOXELS)");
  const double min_offset = h.single ? h.header_bytes + 4 : 0;  // + the 4-byte extension flag
  FBD_CHECK(std::isfinite(h.vox_offset) && h.vox_offset >= min_offset && h.vox_offset == std::floor(h.vox_offset), path,
            ": bad vox_offset ", h.vox_offset, " (the data of a single-file NIfTI-", h.version, " starts at ",
            h.header_bytes + 4, " or later)");
}

// The header through nifti_clib, checked.
NimPtr open_header(const std::string& path) {
  quiet_library();
  {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    FBD_CHECK(f, path, ": cannot open (", std::strerror(errno), ")");
    std::fclose(f);
  }
  check_raw_header(read_raw_header(path), path);
  NimPtr nim(nifti_image_read(path.c_str(), 0));
  FBD_CHECK(nim, path, ": nifti_clib could not read the NIfTI header");
  return nim;
}

Affine to_affine(const nifti_dmat44& d) {
  Affine a;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) a.m[size_t(r)][size_t(c)] = d.m[r][c];
  return a;
}

nifti_dmat44 to_dmat44(const Affine& a) {
  nifti_dmat44 d;
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) d.m[r][c] = a.m[size_t(r)][size_t(c)];
  return d;
}

double positive_spacing(double p) { return std::isfinite(p) && p != 0 ? std::fabs(p) : 1.0; }

Volume header_volume(const nifti_image& nim, const std::string& path) {
  Volume v;
  v.source = path;
  v.nx = nim.nx;
  v.ny = nim.dim[0] >= 2 ? nim.ny : 1;
  v.nz = nim.dim[0] >= 3 ? nim.nz : 1;
  v.channels = nim.dim[0] >= 4 ? nim.nt : 1;
  // A zero or missing pixdim (2-D files often leave pixdim[3] at 0) counts as 1 mm.
  v.dx = positive_spacing(nim.pixdim[1]);
  v.dy = positive_spacing(nim.pixdim[2]);
  v.dz = positive_spacing(nim.pixdim[3]);

  NiftiSpace& s = v.space;
  s.qform_code = nim.qform_code;
  s.sform_code = nim.sform_code;
  s.quatern_b = nim.quatern_b;
  s.quatern_c = nim.quatern_c;
  s.quatern_d = nim.quatern_d;
  s.qoffset_x = nim.qoffset_x;
  s.qoffset_y = nim.qoffset_y;
  s.qoffset_z = nim.qoffset_z;
  s.qfac = nim.qfac < 0 ? -1.0 : 1.0;
  s.sform = to_affine(nim.sto_xyz);
  s.xyz_units = nim.xyz_units;

  // nibabel's get_best_affine, except that with neither form fbd takes diag(dx, dy, dz) (the
  // standard's method 1) where nibabel centres an ANALYZE-style affine on the grid.
  if (s.sform_code > 0) {
    v.affine = s.sform;
  } else if (s.qform_code > 0) {
    v.affine = to_affine(nifti_quatern_to_dmat44(s.quatern_b, s.quatern_c, s.quatern_d, s.qoffset_x, s.qoffset_y,
                                                 s.qoffset_z, v.dx, v.dy, v.dz, s.qfac));
  } else {
    v.affine = Affine{};
    v.affine.m[0][0] = v.dx;
    v.affine.m[1][1] = v.dy;
    v.affine.m[2][2] = v.dz;
  }
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 4; ++c)
      FBD_CHECK(std::isfinite(v.affine.m[size_t(r)][size_t(c)]), path, ": the header's ",
                s.sform_code > 0 ? "sform" : "qform", " holds a NaN or infinite value");
  return v;
}

// The voxel bytes, in this machine's byte order. Read here with zlib / stdio rather than by
// nifti_image_load, which would zero NaN and infinite floats; a short read (a truncated .nii,
// a .nii.gz cut in its data) is an error, never zeros.
std::unique_ptr<unsigned char[]> read_voxel_bytes(const nifti_image& nim, const std::string& path) {
  const int64_t nbytes = nim.nvox * nim.nbyper;
  // Not value-initialised: every byte is overwritten or the read fails.
  std::unique_ptr<unsigned char[]> bytes(new unsigned char[size_t(nbytes)]);
  int64_t got = 0;
  if (nifti_is_gzfile(nim.iname)) {
    GzPtr f(gzopen(nim.iname, "rb"));
    FBD_CHECK(f, path, ": cannot open its data file ", nim.iname, " (", std::strerror(errno), ")");
    gzbuffer(f.get(), 1 << 18);  // zlib's 8 KiB default costs ~10% on large volumes
    FBD_CHECK(gzseek(f.get(), static_cast<z_off_t>(nim.iname_offset), SEEK_SET) == nim.iname_offset, path,
              ": truncated or corrupt compressed data (the data at vox_offset ", nim.iname_offset, " is missing)");
    while (got < nbytes) {
      const int n = gzread(f.get(), bytes.get() + got, static_cast<unsigned>(std::min<int64_t>(nbytes - got, 1 << 30)));
      if (n <= 0) break;
      got += n;
    }
    FBD_CHECK(got == nbytes, path, ": truncated or corrupt compressed data (read ", got, " of the ", nbytes,
              " voxel bytes the header declares)");
  } else {
    const int64_t size = file_size_or(nim.iname, -1);
    FBD_CHECK(size >= 0, path, ": cannot open its data file ", nim.iname);
    FBD_CHECK(nim.iname_offset < size, path, ": bad vox_offset ", nim.iname_offset,
              ": at or beyond the end of the file (", size, " bytes)");
    FBD_CHECK(size - nim.iname_offset >= nbytes, path, ": truncated data (", size - nim.iname_offset, " of the ",
              nbytes, " voxel bytes the header declares)");
    std::unique_ptr<std::FILE, FileCloser> f(std::fopen(nim.iname, "rb"));
    FBD_CHECK(f, path, ": cannot open its data file ", nim.iname, " (", std::strerror(errno), ")");
    FBD_CHECK(::fseeko(f.get(), static_cast<off_t>(nim.iname_offset), SEEK_SET) == 0, path,
              ": cannot seek to vox_offset ", nim.iname_offset);
    got = static_cast<int64_t>(std::fread(bytes.get(), 1, size_t(nbytes), f.get()));
    FBD_CHECK(got == nbytes, path, ": read failed (", got, " of the ", nbytes, " voxel bytes)");
  }
  if (nim.byteorder != nifti_short_order() && nim.swapsize > 1) nifti_swap_Nbytes(nim.nvox, nim.swapsize, bytes.get());
  return bytes;
}

template <typename T>
void convert(const unsigned char* src, std::vector<float>& dst, bool scale, double slope, double inter) {
  const size_t n = dst.size();
  T x;
  if (scale) {
    for (size_t i = 0; i < n; ++i) {
      std::memcpy(&x, src + i * sizeof(T), sizeof(T));
      dst[i] = static_cast<float>(static_cast<double>(x) * slope + inter);
    }
  } else {
    for (size_t i = 0; i < n; ++i) {
      std::memcpy(&x, src + i * sizeof(T), sizeof(T));
      dst[i] = static_cast<float>(x);
    }
  }
}

void check_finite(const Volume& v, const std::string& path) {
  int64_t bad = 0, first = -1;
  for (size_t i = 0; i < v.voxels.size(); ++i)
    if (!std::isfinite(v.voxels[i])) {
      if (first < 0) first = static_cast<int64_t>(i);
      ++bad;
    }
  if (bad == 0) return;
  const int64_t plane = v.nx * v.ny, block = plane * v.nz;
  const int64_t c = first / block, k = (first % block) / plane, j = (first % plane) / v.nx, i = first % v.nx;
  FBD_FAIL(path, ": ", bad, " NaN or infinite voxel(s), the first at (", i, ", ", j, ", ", k,
           v.channels > 1 ? ", " + std::to_string(c) : std::string(), ")");
}

// --- writing -------------------------------------------------------------------------------

template <typename T>
void quantise(const std::vector<float>& src, T* dst) {
  const double lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  for (size_t i = 0; i < src.size(); ++i) dst[i] = static_cast<T>(std::clamp(std::nearbyint(double(src[i])), lo, hi));
}

// The temporary name beside `path` keeps its extension (.nii or .nii.gz): nifti_clib decides
// by the name whether to compress.
std::string temp_name(const std::string& path, const char* ext) {
  static std::atomic<unsigned> counter{0};
  const std::string stem = path.substr(0, path.size() - std::strlen(ext));
  return stem + ".tmp" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ext;
}

// Reads `tmp` back and checks it holds what was written: nifti_image_write returns nothing,
// and a full disk can leave a short file or a broken gzip stream.
void verify_written(const std::string& tmp, const nifti_image& nim, const std::string& path) {
  NimPtr back(nifti_image_read(tmp.c_str(), 0));
  FBD_CHECK(back, path, ": write failed (the file written cannot be read back)");
  for (int i = 0; i < 8; ++i)
    FBD_CHECK(back->dim[i] == nim.dim[i] && back->datatype == nim.datatype, path,
              ": write failed (the header read back differs)");
  const int64_t nbytes = nim.nvox * nim.nbyper;
  if (nifti_is_gzfile(tmp.c_str())) {
    // Decompress it all: a truncated gzip stream is only found by reading to its end.
    GzPtr f(gzopen(tmp.c_str(), "rb"));
    FBD_CHECK(f && gzseek(f.get(), static_cast<z_off_t>(back->iname_offset), SEEK_SET) == back->iname_offset, path,
              ": write failed (cannot reopen the file written)");
    gzbuffer(f.get(), 1 << 18);
    std::vector<unsigned char> buf(1 << 20);
    int64_t got = 0;
    for (int n; (n = gzread(f.get(), buf.data(), unsigned(buf.size()))) > 0;) got += n;
    FBD_CHECK(got == nbytes, path, ": write failed (", got, " of ", nbytes, " voxel bytes written; disk full?)");
  } else {
    FBD_CHECK(file_size_or(tmp, -1) == back->iname_offset + nbytes, path, ": write failed (short file; disk full?)");
  }
}

void remove_quietly(const std::string& p) {
  std::error_code ec;
  std::filesystem::remove(p, ec);
}

// Writes `nim` (its data set) to `path` through a temporary file and a rename.
void write_atomically(nifti_image& nim, const std::string& path) {
  const char* ext = ends_with_ci(path, ".nii.gz") ? ".nii.gz" : ends_with_ci(path, ".nii") ? ".nii" : nullptr;
  FBD_CHECK(ext, path, ": fbd writes NIfTI as .nii or .nii.gz (one file), not this name");
  const std::string tmp = temp_name(path, ext);
  // Create it first ourselves: the error then says why (no such folder, permission), and
  // nifti_clib does not print its own complaint.
  {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    FBD_CHECK(f, path, ": cannot create (", std::strerror(errno), ")");
    std::fclose(f);
  }
  try {
    FBD_CHECK(nifti_set_filenames(&nim, tmp.c_str(), 0, 1) == 0, path, ": nifti_clib refused the file name");
    nifti_image_write(&nim);
    verify_written(tmp, nim, path);
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    FBD_CHECK(!ec, path, ": cannot rename the temporary file into place (", ec.message(), ")");
  } catch (...) {
    remove_quietly(tmp);
    throw;
  }
}

// A nifti_image with v's grid and space and an allocated, zeroed data block of `datatype`.
NimPtr make_image(const Volume& v, int64_t channels, int datatype, const std::string& path) {
  FBD_CHECK(v.nx > 0 && v.ny > 0 && v.nz > 0 && channels > 0, path, ": cannot write an empty volume (", v.shape_str(),
            ")");
  int64_t dims[8] = {channels > 1 ? 4 : 3, v.nx, v.ny, v.nz, channels, 1, 1, 1};
  NimPtr nim(nifti_make_new_nim(dims, datatype, 1));
  FBD_CHECK(nim && nim->data, path, ": cannot allocate a NIfTI image of ", v.shape_str());
  // NIfTI-1 stores sizes as int16; larger grids need NIfTI-2.
  const bool big = std::max({v.nx, v.ny, v.nz, channels}) > 32767;
  nim->nifti_type = big ? NIFTI_FTYPE_NIFTI2_1 : NIFTI_FTYPE_NIFTI1_1;
  nim->pixdim[1] = nim->dx = v.dx;
  nim->pixdim[2] = nim->dy = v.dy;
  nim->pixdim[3] = nim->dz = v.dz;
  nim->pixdim[4] = nim->dt = 1;
  const NiftiSpace& s = v.space;
  nim->qform_code = s.qform_code;
  nim->sform_code = s.sform_code;
  nim->quatern_b = s.quatern_b;
  nim->quatern_c = s.quatern_c;
  nim->quatern_d = s.quatern_d;
  nim->qoffset_x = s.qoffset_x;
  nim->qoffset_y = s.qoffset_y;
  nim->qoffset_z = s.qoffset_z;
  nim->qfac = nim->pixdim[0] = s.qfac < 0 ? -1.0 : 1.0;
  nim->qto_xyz = nifti_quatern_to_dmat44(s.quatern_b, s.quatern_c, s.quatern_d, s.qoffset_x, s.qoffset_y, s.qoffset_z,
                                         v.dx, v.dy, v.dz, nim->qfac);
  nim->qto_ijk = nifti_dmat44_inverse(nim->qto_xyz);  // (not written: kept consistent for the library)
  nim->sto_xyz = to_dmat44(s.sform);
  nim->sto_xyz.m[3][0] = nim->sto_xyz.m[3][1] = nim->sto_xyz.m[3][2] = 0;
  nim->sto_xyz.m[3][3] = 1;
  if (s.sform_code > 0) nim->sto_ijk = nifti_dmat44_inverse(nim->sto_xyz);
  nim->xyz_units = s.xyz_units;
  nim->scl_slope = 1;  // explicit: no scaling (nibabel and nifti_clib agree on 1 / 0)
  nim->scl_inter = 0;
  return nim;
}

}  // namespace

int64_t max_volume_voxels() {
  const char* env = std::getenv("FBD_MAX_VOXELS");
  if (!env || !*env) return kDefaultMaxVolumeVoxels;
  errno = 0;
  char* end = nullptr;
  const long long n = std::strtoll(env, &end, 10);
  FBD_CHECK(errno == 0 && end && *end == '\0' && n > 0, "FBD_MAX_VOXELS=\"", env,
            "\" is not a positive whole number (the most voxels one volume may have)");
  return n;
}

bool is_nifti_path(const std::string& path) {
  return ends_with_ci(path, ".nii") || ends_with_ci(path, ".nii.gz") || ends_with_ci(path, ".hdr") ||
         ends_with_ci(path, ".img");
}

Volume read_nifti_header(const std::string& path) {
  NimPtr nim = open_header(path);
  return header_volume(*nim, path);
}

Volume read_nifti(const std::string& path) {
  NimPtr nim = open_header(path);
  Volume v = header_volume(*nim, path);
  const std::unique_ptr<unsigned char[]> bytes = read_voxel_bytes(*nim, path);
  v.voxels.resize(static_cast<size_t>(nim->nvox));

  // scl_slope 0 (or NaN, infinite) means no scaling, as in the standard and nibabel; a usable
  // slope with a NaN intercept is a broken header (nibabel refuses it too).
  const double slope = nim->scl_slope, inter = nim->scl_inter;
  const bool scale = std::isfinite(slope) && slope != 0;
  FBD_CHECK(!scale || std::isfinite(inter), path, ": scl_slope is ", slope, " but scl_inter is ", inter);
  const unsigned char* p = bytes.get();
  switch (nim->datatype) {
    case DT_INT8: convert<int8_t>(p, v.voxels, scale, slope, inter); break;
    case DT_UINT8: convert<uint8_t>(p, v.voxels, scale, slope, inter); break;
    case DT_INT16: convert<int16_t>(p, v.voxels, scale, slope, inter); break;
    case DT_UINT16: convert<uint16_t>(p, v.voxels, scale, slope, inter); break;
    case DT_INT32: convert<int32_t>(p, v.voxels, scale, slope, inter); break;
    case DT_UINT32: convert<uint32_t>(p, v.voxels, scale, slope, inter); break;
    case DT_FLOAT32: convert<float>(p, v.voxels, scale, slope, inter); break;
    case DT_FLOAT64: convert<double>(p, v.voxels, scale, slope, inter); break;
    default: FBD_FAIL(path, ": unsupported datatype ", nifti_datatype_string(nim->datatype));
  }
  // Integers become finite floats unless a huge slope overflows float32.
  const bool is_float = nim->datatype == DT_FLOAT32 || nim->datatype == DT_FLOAT64;
  if (is_float || scale) check_finite(v, path);
  return v;
}

void write_nifti(const std::string& path, const Volume& v, NiftiDtype dtype) {
  quiet_library();
  const int64_t expected = v.voxels_per_channel() * v.channels;
  FBD_CHECK(static_cast<int64_t>(v.voxels.size()) == expected, path, ": cannot write: the volume is ", v.shape_str(),
            " (", expected, " voxels) but holds ", v.voxels.size(), " values");
  for (size_t i = 0; i < v.voxels.size(); ++i)
    FBD_CHECK(std::isfinite(v.voxels[i]), path,
              ": cannot write NaN or infinite voxels (fbd would refuse to read them)");
  const int dt = dtype == NiftiDtype::UInt8 ? DT_UINT8 : dtype == NiftiDtype::Int16 ? DT_INT16 : DT_FLOAT32;
  NimPtr nim = make_image(v, v.channels, dt, path);
  switch (dtype) {
    case NiftiDtype::UInt8: quantise(v.voxels, static_cast<uint8_t*>(nim->data)); break;
    case NiftiDtype::Int16: quantise(v.voxels, static_cast<int16_t*>(nim->data)); break;
    case NiftiDtype::Float32: std::memcpy(nim->data, v.voxels.data(), v.voxels.size() * sizeof(float)); break;
  }
  write_atomically(*nim, path);
}

void write_nifti_mask(const std::string& path, const std::vector<uint8_t>& mask, const Volume& grid) {
  quiet_library();
  FBD_CHECK(static_cast<int64_t>(mask.size()) == grid.voxels_per_channel(), path,
            ": cannot write the mask: ", mask.size(), " values for a ", grid.nx, "x", grid.ny, "x", grid.nz, " grid");
  NimPtr nim = make_image(grid, 1, DT_UINT8, path);
  std::memcpy(nim->data, mask.data(), mask.size());
  write_atomically(*nim, path);
}

void set_space_from_affine(Volume& v, int code) {
  const nifti_dmat44 a = to_dmat44(v.affine);
  NiftiSpace& s = v.space;
  double dx = 0, dy = 0, dz = 0, qfac = 1;
  nifti_dmat44_to_quatern(a, &s.quatern_b, &s.quatern_c, &s.quatern_d, &s.qoffset_x, &s.qoffset_y, &s.qoffset_z, &dx,
                          &dy, &dz, &qfac);
  s.qfac = qfac < 0 ? -1.0 : 1.0;
  s.sform = v.affine;
  s.qform_code = s.sform_code = code;
  s.xyz_units = NIFTI_UNITS_MM;
  // The spacing is the length of each voxel axis in the world (the affine's column norms).
  auto norm = [&](int c) { return std::sqrt(a.m[0][c] * a.m[0][c] + a.m[1][c] * a.m[1][c] + a.m[2][c] * a.m[2][c]); };
  v.dx = positive_spacing(norm(0));
  v.dy = positive_spacing(norm(1));
  v.dz = positive_spacing(norm(2));
}

}  // namespace fbd::data
