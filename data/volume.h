// 3-D images on a voxel grid with a place in the world: what the NIfTI reader gives
// (data/nifti.h), what the volume data sets slice into 2-D training samples
// (data/volume_dataset.h), and the grid a prediction is written back on.
//
// Conventions:
//   - voxel (i, j, k), i fastest in memory: offset = i + nx (j + ny k) (NIfTI's order);
//   - world coordinates in mm, RAS+ (NIfTI's convention): world = affine * [i j k 1]^T;
//   - spacing dx, dy, dz in mm along i, j, k (NIfTI's pixdim[1..3], always positive);
//   - a 4-D file's fourth axis (DCE phases, echoes) becomes `channels`, each a whole
//     nx * ny * nz block: offset = i + nx (j + ny (k + nz c)).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace fbd::data {

// A 4 x 4 affine in double (row-major; the last row is 0 0 0 1 for every grid fbd reads).
struct Affine {
  std::array<std::array<double, 4>, 4> m{{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}};
  // Largest absolute difference of the top three rows.
  double max_abs_diff(const Affine& o) const;
};

// How a NIfTI header placed its grid, kept field by field so that a mask written on the
// grid (write_nifti_mask) carries exactly the image's qform and sform and overlays it in any
// viewer. For a grid that did not come from NIfTI, from_affine() fills both forms.
struct NiftiSpace {
  int qform_code = 0, sform_code = 0;  // NIFTI_XFORM_* (0 unknown, 1 scanner, 2 aligned, ...)
  double quatern_b = 0, quatern_c = 0, quatern_d = 0;
  double qoffset_x = 0, qoffset_y = 0, qoffset_z = 0;
  double qfac = 1;  // pixdim[0]: -1 or 1
  Affine sform;     // srow_x, srow_y, srow_z
  int xyz_units = 2;  // NIFTI_UNITS_MM
};

struct Volume {
  int64_t nx = 0, ny = 0, nz = 0;
  int64_t channels = 1;
  double dx = 1, dy = 1, dz = 1;  // mm
  // The grid's world placement: the sform when sform_code > 0, else the qform when
  // qform_code > 0, else diag(dx, dy, dz) (NIfTI's "method 1").
  Affine affine;
  NiftiSpace space;
  std::vector<float> voxels;  // channels * nz * ny * nx; scl_slope / scl_inter applied
  std::string source;         // the file it was read from ("" when built in memory)

  int64_t voxels_per_channel() const { return nx * ny * nz; }
  bool empty() const { return voxels_per_channel() == 0; }
  float at(int64_t i, int64_t j, int64_t k, int64_t c = 0) const {
    return voxels[static_cast<size_t>(i + nx * (j + ny * (k + nz * c)))];
  }
  std::string shape_str() const;    // "NXxNYxNZ" (and "xC" when channels > 1)
  std::string spacing_str() const;  // "0.70 x 0.70 x 2.00 mm"
  // Same shape and affines within `tol` mm (the check an image and its mask must pass).
  bool same_grid(const Volume& o, double tol = 1e-3) const;
  // Three letters naming the world direction each voxel axis points to, as nibabel's
  // aff2axcodes ("RAS", "LPS", ...), from `affine` ('?' for an axis whose column is zero).
  std::string orientation_code() const;
};

}  // namespace fbd::data
