// From a data set on disk to the samples the loader serves: load the cases and, as the paper
// does, keep only the breast quadrant(s) holding the tumour.
#pragma once
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/image.h"

namespace fbd::data {

struct PrepareOptions {
  bool quadrants = true;            // split into quadrants (data/quadrants.h)
  bool keep_all_quadrants = false;  // keep all four, not only those with tumour
  int edge_width = 1;               // for edges derived from masks
};

// The cases with these ids (all cases when `ids` is empty), in data set order. Throws on the
// first case that cannot be loaded (run check_dataset first to see them all).
std::vector<Sample> prepare_samples(const Dataset& ds, const std::vector<std::string>& ids,
                                    const PrepareOptions& opt = {});

}  // namespace fbd::data
