// The synthetic breast-MRI phantom: axial T1-weighted, contrast-enhanced slices that stand in
// for the paper's (non-public) data, so the whole method runs on a fresh machine.
//
// Each patient is a body with two breasts over a chest wall (skin, subcutaneous fat, pectoral
// muscle, ribs and sternum, lungs, heart), fatty breast tissue with fibroglandular texture
// (value noise, isotropic and radially streaked towards the nipple), a smooth multiplicative
// bias field and Rician noise. One tumour per patient, in one breast, is sectioned by the
// patient's consecutive slices: it grows and shrinks across them like a sphere's sections.
// Benign tumours are smooth ovals with gentle lobulation and homogeneous enhancement;
// malignant ones are irregular, with spiculations ("burrs") and rim enhancement. Tumour
// sizes make it small-target segmentation as in the paper: on average about 1% of the slice,
// at most a few percent.
//
// Everything is a pure function of (seed, patient, slice): the same options give the same
// files, bit for bit, whatever the thread count. docs/DATA.md lists the parameters.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/image.h"
#include "data/image_io.h"
#include "data/volume.h"

namespace fbd::data {

struct PhantomOptions {
  int patients = 12;
  int slices = 8;  // per patient
  int size = 128;  // slices are size x size
  uint64_t seed = 1;
  double malignant_fraction = 0.5;  // round(patients * fraction) patients are malignant
  double noise = 0.025;             // Rician noise sigma, in units of the image range [0, 1]
  int bit_depth = 16;               // of the image PNGs (8 or 16)
  int edge_width = 1;               // of the edge masks written (edges_from_mask)
  int threads = 0;                  // 0: one per hardware thread
  // "default": the phantom above. "realistic": harder lesions, closer to real data: larger
  // breasts and lesion areas drawn log-uniform from 1% to 35% of a breast quadrant (the
  // network's input), those that do not fit shrunk into the breast (measured on 24 patients:
  // 1.2% to 18% of a quadrant at the widest slice), irregular outlines for benign and
  // malignant alike with short spicules, low contrast (the lesion's intensity only 20-45% of
  // the way from the tissue around it to the enhanced value) and speckle-like multiplicative
  // noise (sigma 0.15-0.3, blurred into grains of a few pixels) on top of the Rician noise.
  std::string style = "default";
  // "png": the 2-D files below. "nifti": each patient's slices as one volume (write_phantom).
  std::string format = "png";
  // Voxel spacing of the NIfTI volumes in mm: in-plane (both axes) and between slices.
  double spacing_xy = 0.7, spacing_z = 2.0;
  // Dynamic contrast-enhanced phases (format "nifti" only). 1: the enhanced scan alone. N >= 2:
  // a pre-contrast phase (the lesion hardly brighter than its tissue: 5% of its enhancement)
  // and N - 1 post-contrast phases, each patient's own channels _0000 ... The lesion follows
  // the kinetic curves radiologists read: a malignant one peaks in the first post-contrast
  // phase and washes out (to 75% of the peak in the last), a benign one keeps rising (from 75%
  // to the peak in the last). The peak phase is the enhanced scan of phases = 1, noise
  // included; every other phase draws its own noise. The surrounding tissue does not enhance,
  // so the subtraction image (a post phase minus the pre phase) shows the lesion and noise.
  int phases = 1;
};

struct PhantomSlice {
  std::string id, patient;  // "P003_S05", "P003"
  int slice = 0;
  Label label = Label::Unknown;
  Image image, mask;  // image in [0, 1], mask {0, 1}
  Image breast;       // {0, 1}: the breasts (skin, fat and glandular tissue in front of the chest wall)
  // With PhantomOptions::phases >= 2 the DCE phases, pre-contrast first; `image` is the
  // peak phase (phases[1] for a malignant lesion, the last for a benign one). Empty otherwise.
  std::vector<Image> phases;
  // Ground truth of the anatomy, for testing quadrant division:
  double axis_x = 0.0;       // column of the body's symmetry axis
  int64_t cleft_y = 0;       // row of the chest wall's anterior surface on the axis
  bool tumour_left = false;  // tumour in the breast on the image's left (quadrant 2), else right (1)
};

// Throws for options out of range (patients >= 1, slices >= 1, 32 <= size <= 4096, ...).
void check_phantom_options(const PhantomOptions& o);
std::vector<PhantomSlice> synth_patient(const PhantomOptions& o, int patient);
std::vector<PhantomSlice> synth_phantom(const PhantomOptions& o);  // patients in parallel

// Which patients are malignant: exactly round(patients * malignant_fraction) of them, chosen by
// a Philox shuffle of the seed.
std::vector<Label> phantom_labels(const PhantomOptions& o);

// A figure of sample slices: up to four patients (benign and malignant alternating), three
// slices each (first, middle, last), each shown plain and with the tumour outlined in red and
// the detected quadrant split in yellow.
RgbImage phantom_gallery(const std::vector<PhantomSlice>& slices, const PhantomOptions& o);

struct PhantomSummary {
  size_t cases = 0;
  double mean_tumour_fraction = 0, min_tumour_fraction = 0, max_tumour_fraction = 0;
  int benign = 0, malignant = 0;
};

// Writes DIR/images/ID.png, masks/ID.png (0/255), edges/ID.png, breasts/ID.png (the true breast
// mask, 0/255, for checking breast estimates; not read by training), manifest.csv
// (image,mask,patient,label,edge), phantom.json (options and per-slice ground truth) and
// gallery.png. DIR must be new, empty, or an earlier phantom (which is replaced).
// With format "nifti" it writes instead one volume per patient in nnU-Net v2's raw layout:
// imagesTr/PATIENT_0000.nii.gz (int16, the image times 4095: a 12-bit scanner range),
// labelsTr/PATIENT.nii.gz (uint8 0/1), dataset.json, and a manifest.csv of volume rows
// (image,mask,patient,label) that gives the labels nnU-Net's layout has no place for. Voxel
// (i, j, k) is pixel (x = i, y = j) of slice k; the affine is a scanner's axial one, LPS
// (i to the patient's left, j to posterior, k superior), spacing_xy x spacing_xy x spacing_z
// mm, centred on the world origin.
PhantomSummary write_phantom(const std::string& dir, const PhantomOptions& o);

// The affine write_phantom gives a patient's volume of nx x ny x nz voxels.
Affine phantom_affine(const PhantomOptions& o, int64_t nx, int64_t ny, int64_t nz);

}  // namespace fbd::data
