// Whole volumes through a trained 2-D network: every slice along the volume's slice axis is
// predicted as predict_slices does it (quadrants, resize, stitch), thresholded and cleaned
// like `fbd predict`'s slices, and put back on the volume's grid; then scored in 3-D, in mm
// (losses/volume_metrics.h).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "apps/nets/seg_net.h"
#include "apps/train/run_config.h"
#include "data/dataset.h"
#include "data/volume.h"
#include "losses/volume_metrics.h"

namespace fbd::app {

// What turns a slice's probabilities into its mask.
struct MaskCleanup {
  float threshold = 0.5f;
  int64_t min_size = 0;     // remove components smaller than this (pixels); 0: keep all
  bool largest = false;     // keep the largest component of each slice
  bool fill_holes = false;  // fill holes inside it
};

// The mask of one slice's probabilities: thresholded, then cleaned up as `o` says (what fbd
// predict does to every slice, of an image or of a volume).
data::Image clean_mask(const data::Image& prob, const MaskCleanup& o);

struct VolumePrediction {
  int slice_axis = 2;
  std::vector<uint8_t> mask;  // one channel of the image's grid, 0/1
  std::vector<int64_t> tumour_slices;  // slices where the mask is not empty
};

// `image` holds the network's input channels (--channels applied), normalised
// (data::normalize_volume), on its grid.
VolumePrediction predict_volume(SegNet& net, const data::Volume& image, int slice_axis, const RunConfig& c,
                                Device device, const MaskCleanup& cleanup = {});

struct VolumeScore {
  std::string id, patient;
  VolumeMetrics m;
};

// Predicts and scores each volume of `ds` whose patient is in `patients` (all when empty).
std::vector<VolumeScore> evaluate_volumes(SegNet& net, const data::Dataset& ds, const std::vector<std::string>& patients,
                                          const RunConfig& c, Device device, const MaskCleanup& cleanup = {});

// The per-volume table (mm and ml), its mean row, as printed text and as CSV.
std::string volume_table_text(const std::vector<VolumeScore>& rows);
std::string volume_table_csv(const std::vector<VolumeScore>& rows);

}  // namespace fbd::app
