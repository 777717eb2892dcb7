// An augmentation pipeline built from a JSON config: an ordered list of steps, each applied
// with its probability p, the random parameters drawn per sample.
//
//   {"steps": [
//     {"op": "normalize", "mode": "minmax"},
//     {"op": "hflip", "p": 0.5},
//     {"op": "rotate", "p": 0.5, "max_degrees": 15},
//     {"op": "elastic", "p": 0.3, "alpha": 34, "sigma": 4},
//     {"op": "gaussian_blur", "p": 0.2, "min_kernel": 3, "max_kernel": 7},
//     {"op": "clahe", "p": 0.2, "clip_limit": 2.0, "tiles": 8},
//     {"op": "brightness_contrast", "p": 0.5, "brightness": 0.15, "contrast": 0.25},
//     {"op": "gamma", "p": 0.3, "min": 0.7, "max": 1.4},
//     {"op": "normalize", "mode": "zscore"}]}
//
// Ops and their keys (p defaults to 1 everywhere):
//   hflip, vflip                      mirror left-right / top-bottom
//   rotate        max_degrees         angle uniform in [-max, max]
//   elastic       alpha, sigma        Simard's elastic deformation (pixels)
//   gaussian_blur min_kernel, max_kernel, sigma (0: OpenCV's default for the size)
//                                     kernel size uniform over the odd sizes in range
//   clahe         clip_limit, tiles (n or [tiles_x, tiles_y])
//   brightness_contrast brightness, contrast   shift uniform in [-b, b], contrast factor in [1-c, 1+c]
//   gamma         min, max            exponent uniform in [min, max]
//   normalize     mode: zscore | minmax
//   resize        height, width       deterministic
//
// Randomness: apply(sample, key) gives step i the Philox stream derive_key(key, i, ...), so a
// sample's result depends only on its key (the loader uses derive_key(seed, epoch, index)),
// and switching one step off does not change what the others draw.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/image.h"
#include "data/random.h"

namespace fbd::data {

class Transform {
 public:
  virtual ~Transform() = default;
  virtual void apply(Sample& s, SampleRandom& rnd) const = 0;
  virtual std::string describe() const = 0;  // "rotate(max_degrees=15)"
  virtual bool geometric() const = 0;        // moves pixels (applies to mask and edge too)
};

class AugmentPipeline {
 public:
  struct Step {
    std::string op;
    double p = 1.0;
    std::shared_ptr<const Transform> transform;
  };

  AugmentPipeline() = default;  // no steps: apply() leaves samples unchanged
  // `name` (a file name or "default") is used in error messages.
  static AugmentPipeline from_json_text(const std::string& text, const std::string& name);
  static AugmentPipeline from_file(const std::string& path);
  // The pipeline fbd trains with unless told otherwise (the JSON above).
  static AugmentPipeline default_pipeline();
  static const std::string& default_json();

  void apply(Sample& s, uint64_t key) const;
  // Step i alone, always (ignores p), with the stream apply() would give it.
  void apply_step(size_t i, Sample& s, uint64_t key) const;

  const std::vector<Step>& steps() const { return steps_; }
  // The first step with this op, or -1.
  int find(const std::string& op) const;
  // Appends a step made from one JSON object such as {"op": "rotate", "max_degrees": 10}.
  void add_step_json(const std::string& json_object, const std::string& name);
  std::string describe() const;  // one step per line: "p=0.50 rotate(max_degrees=15)"

 private:
  std::vector<Step> steps_;
};

}  // namespace fbd::data
