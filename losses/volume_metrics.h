// 3-D segmentation metrics of one volume, in millimetres (spacing-aware), for `fbd eval` on
// volume data sets. The 2-D per-image metrics are losses/metrics.h; these follow the same
// conventions one dimension up:
//
// Inputs: pred and target, nz * ny * nx bytes each, 0 or nonzero (nonzero = tumour), voxel
// order i fastest (x, then y, then z), spacing (sz, sy, sx) in mm.
//   dice, iou, precision, sensitivity, specificity: from the voxel counts, with the 2-D rules
//     for empty masks (dice and iou 1 when both are empty; precision NaN when nothing is
//     predicted; sensitivity NaN when the target is empty; specificity NaN with no negatives).
//   hd, hd95, assd: between the surface voxel sets (mask minus its erosion by the 6-connected
//     cross, voxels outside the volume counting as background), distances in mm through the
//     exact 3-D EDT with anisotropic spacing. hd95 is the larger of the two directed 95th
//     percentiles (MONAI's convention, as the 2-D metrics); assd is the mean of all directed
//     distances of both sets together (MONAI's symmetric average surface distance). Both masks
//     empty: 0. Exactly one empty: the volume's diagonal in mm,
//     sqrt(((nx-1) sx)^2 + ((ny-1) sy)^2 + ((nz-1) sz)^2), and `one_empty` is set.
//   pred_ml, target_ml: tumour volume in millilitres (voxel count * sx sy sz / 1000).
#pragma once
#include <cstdint>

namespace fbd {

struct VolumeMetrics {
  double dice = 0, iou = 0, precision = 0, sensitivity = 0, specificity = 0;
  double hd = 0, hd95 = 0, assd = 0;  // mm
  double pred_ml = 0, target_ml = 0;
  int64_t tp = 0, fp = 0, fn = 0, tn = 0;
  bool one_empty = false;
};

VolumeMetrics volume_metrics(const uint8_t* pred, const uint8_t* target, int64_t nz, int64_t ny, int64_t nx,
                             double sz = 1.0, double sy = 1.0, double sx = 1.0, double percentile = 95.0);

}  // namespace fbd
