// The CNN classifiers of Table 4 as classifiers of patients (apps/classify/classifier.h): in each
// fold the network of apps/classify/classifier_registry.h is built from the fold's seed and
// trained on the tumour crops (apps/classify/roi.h) of the fold's training patients, every crop
// labelled with its patient's class; a test patient's probability of malignancy is the mean of
// its crops' sigmoid(logit). A test patient with no crop (no tumour predicted on any slice) gets
// the training fold's fraction of malignant patients.
//
// Training: BCE with logits on one logit per crop, AdamW (weight decay 1e-4), constant rate,
// mini-batches in an order drawn from (fold seed, epoch), each crop under one of the eight
// symmetries of the square (flips and transposition) drawn likewise. A last mini-batch of one
// crop joins the one before it (batch norm needs two).
//
// alexnet-tl. With a pretrained file (torchvision's ImageNet AlexNet, load_alexnet_pretrained)
// the network is built at the file's width (torchvision's: multiplier 1) and loaded; without
// one, it is pretrained in each fold on tumour vs background crops of that fold's training
// patients only (never the test patients), for `pretrain_epochs`. Either way the last layer is
// then a fresh 1-logit head, and fine-tuning trains the head at the full rate and the pretrained
// layers at `finetune_lr_scale` of it.
#pragma once
#include <string>
#include <vector>

#include "apps/classify/classifier.h"
#include "apps/classify/classifier_registry.h"
#include "core/device.h"
#include "data/image.h"

namespace fbd::app {

struct CnnOptions {
  CnnConfig net;  // input size, width multiplier, dropout
  int epochs = 15;
  int batch = 16;
  double lr = 1e-3;
  double weight_decay = 1e-4;  // AdamW
  bool augment = true;         // the eight symmetries of the square
  std::string pretrained;      // alexnet-tl: .safetensors of torchvision's AlexNet; empty: pretrain on the data
  int pretrain_epochs = 5;     // alexnet-tl without a file
  double finetune_lr_scale = 0.1;
  Device device = Device::cpu();
  bool progress = false;  // a progress line per fold on stderr
};
void check_cnn_options(const CnnOptions& o);

// The width multiplier of the AlexNet whose weights `path` holds (its first convolution's
// channels over torchvision's 64); one-line errors for a file without that tensor.
double alexnet_file_width(const std::string& path);

// One group of parameters trained at one rate.
struct ParamGroup {
  NamedTensors params;
  double lr = 1e-3;
};

// Trains `net` (in training mode) on square images of one size with labels 0/1 for `epochs`
// epochs as described above, then sets batch norm's running statistics to the mean of the
// training batches' statistics under the final weights (nn::recompute_batch_norm_stats: the
// moving average lags the weights, and evaluation on a small set then disagrees with training);
// returns the mean training loss of the first and the last epoch.
std::pair<double, double> train_image_classifier(nn::Module& net, const std::vector<const data::Image*>& images,
                                                 const std::vector<int>& labels, const std::vector<ParamGroup>& groups,
                                                 int epochs, const CnnOptions& o, uint64_t seed,
                                                 const std::string& progress_label = "");
// sigmoid(logit) of each image, in evaluation mode without gradients.
std::vector<double> predict_images(nn::Module& net, const std::vector<const data::Image*>& images, Device device);

// A patient's probability: the mean of its crops' (p[j] is a crop of patient owner[j] <
// patients); `fallback` for a patient without crops.
std::vector<double> patient_means(const std::vector<double>& p, const std::vector<size_t>& owner, size_t patients,
                                  double fallback);

// A square image under the t-th symmetry of the square (t in 0..7: bit 2 transposes, then
// bit 0 flips left-right and bit 1 up-down).
data::Image square_symmetry(const data::Image& img, int t);

class CnnPatientClassifier : public PatientClassifier {
 public:
  CnnPatientClassifier(const std::string& name, const CnnOptions& o);
  std::string name() const override { return name_; }
  FoldFit fit_predict(const FoldData& fold) override;
  int64_t parameters() const override { return parameters_; }
  std::string detail() const override { return detail_; }
  // The network's configuration as built (alexnet-tl with a file: the file's width).
  const CnnConfig& config() const { return config_; }

 private:

  std::string name_;
  CnnOptions o_;
  CnnConfig config_;
  bool transfer_ = false;
  int64_t parameters_ = 0;
  std::string detail_;
};

}  // namespace fbd::app
