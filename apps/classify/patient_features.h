// Features for the benign / malignant classifier (paper, Table 4), computed from a predicted
// segmentation: the tumour-to-breast volume ratio the paper uses, plus shape features that
// separate smooth oval (benign) from irregular, spiculated (malignant) tumours, and intensity
// statistics.
//
// Per slice (one binary mask of H x W pixels, 4-connectivity):
//   area A        foreground pixel count
//   perimeter P   length of the marching-squares contour through the pixel centres at level
//                 1/2 (the image border counts as background). The crack length (pixel edges)
//                 overcounts diagonal boundaries by up to 4/pi; this contour overcounts a
//                 digital disc by about 8% (r = 15: 101.7 for 2 pi r = 94.2)
//   compactness   4 pi A / P^2: about 0.86 for a digital disc of radius 15, 0.83 for a 10x10
//                 square, much lower for irregular, spiculated shapes
//   solidity      A / number of pixels whose centres lie in the convex hull of the foreground
//                 pixel centres (scikit-image's convex_area definition)
//   irregularity  coefficient of variation (std / mean) of the distance from the boundary
//                 pixels to the centroid: 0 for a disc, larger for spiculated shapes
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace fbd::app {

struct SliceShape {
  double area = 0, perimeter = 0, compactness = 0, solidity = 0, irregularity = 0;
};

SliceShape slice_shape(const uint8_t* mask, int64_t height, int64_t width);

// One slice of a patient: the image (any intensity scale), the predicted tumour mask and the
// breast mask (data::breast_mask), all H x W.
struct SliceInput {
  const float* image = nullptr;
  const uint8_t* tumour = nullptr;
  const uint8_t* breast = nullptr;
  int64_t height = 0, width = 0;
};

// Per-patient features: volumes summed over slices, shapes area-weighted over the slices that
// hold tumour, intensities over all tumour pixels. A patient with no tumour pixel at all gets
// zeros for the shape and intensity features (and volume ratio 0).
struct PatientFeatures {
  double volume_ratio = 0;  // tumour pixels / breast pixels
  double compactness = 0, solidity = 0, irregularity = 0;
  double max_area_fraction = 0;   // largest tumour area over its slice's breast area
  double intensity_mean = 0;      // tumour mean over breast mean
  double intensity_std = 0;       // tumour std over breast mean
  double slices_with_tumour = 0;  // fraction of the patient's slices

  std::vector<double> values() const;
  static std::vector<std::string> names();
};

PatientFeatures patient_features(const std::vector<SliceInput>& slices);

}  // namespace fbd::app
