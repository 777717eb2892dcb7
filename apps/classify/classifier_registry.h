// The benign / malignant classifiers of `fbd classify --classifier NAME` (paper Table 4) by
// name: one row per classifier (its name, whether it reads features or images, what it is, the
// paper it follows, the input side of that paper, the smallest input it accepts, its factory).
// The command line, the help texts, the errors for unknown names and the tests read this table.
//
// `mlp` works on per-patient features (apps/classify/classifier.h). The others are CNNs on the
// tumour region of interest (apps/classify/roi.h): [N, 1, S, S] z-scored crops in, [N, 1]
// logits of "malignant" out, one file per network:
//
//   vgg16.cpp        VGG16, configuration D (Simonyan & Zisserman, ICLR 2015)
//   inceptionv3.cpp  Inception-v3 (Szegedy et al., CVPR 2016)
//   resnet50.cpp     ResNet-50, bottleneck blocks [3, 4, 6, 3] (He et al., CVPR 2016)
//   alexnet.cpp      AlexNet as torchvision defines it (Krizhevsky et al., NIPS 2012), also the
//                    network of `alexnet-tl` (transfer learning), with its weight loading
//   fcnn.cpp         a fully convolutional classifier: All-CNN-C (Springenberg et al., ICLR 2015
//                    workshop) with global average pooling (Lin et al., ICLR 2014)
//
// Every network takes a width multiplier that scales each layer's channels (and the dense
// layers' widths), `scaled_channels(c, m) = max(1, floor(c m + 1/2))`, so that the paper-size
// networks (multiplier 1) shrink to something a CPU trains; the parameter names follow
// torchvision's where torchvision has the network (features.0.weight, layer1.0.conv1.weight,
// Mixed_5b.branch1x1.conv.weight, ...), so its weights load by name at multiplier 1.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/rng.h"
#include "layers/layers.h"

namespace fbd::app {

struct CnnConfig {
  int64_t input_size = 64;  // side of the square input, pixels
  double width_mult = 0.25;
  bool dropout = true;  // the dropout layers of the architecture, at its paper's rates (off: identity)
};

using ClassifierFactory = std::shared_ptr<nn::Module> (*)(const CnnConfig& c, Generator& gen);

enum class ClassifierInput { Features, Image };

// The paper's Table 4 row of a classifier, in percent (NaN where the paper has none).
struct PaperResult {
  double accuracy, sensitivity, specificity;
};

struct ClassifierInfo {
  const char* name;         // --classifier NAME
  const char* label;        // its name in tables ("ResNet-50")
  ClassifierInput input;    // per-patient features (the MLP) or tumour crops (the CNNs)
  const char* description;  // one line for help texts and reports
  const char* source;       // the paper it follows
  int64_t gpu_input;        // default --input-size on a GPU: its paper's (224; Inception-v3 299), 0 for the MLP
  int64_t min_input;        // the smallest --input-size it accepts (0 for the MLP)
  ClassifierFactory make;   // null for the MLP
  PaperResult paper;        // Table 4 of the Focal Boundary Dice paper
  bool transfer = false;    // alexnet-tl: starts from pretrained weights
  // Its AdamW learning rate unless --cnn-lr gives one: 1e-3, but VGG16, which has no batch norm,
  // stays at chance or diverges above about 3e-4 from scratch (measured on the overfit test),
  // so it takes 1e-4, the rate usually used to train it with Adam.
  double lr = 1e-3;
};

const std::vector<ClassifierInfo>& classifier_registry();
const std::vector<std::string>& classifier_names();  // in registry order
// The row of `name`; an unknown name is a one-line error listing the registry.
const ClassifierInfo& find_classifier(const std::string& name);
// "mlp, vgg16, ... or alexnet-tl": the names for help texts.
std::string classifier_name_list();
// A --classifier value: one name, a comma-separated list, or "all" (every row, in order).
// Unknown or repeated names are one-line errors.
std::vector<std::string> parse_classifier_list(const std::string& value);

// Channels of a layer of `c` channels in the paper's network, under width multiplier m.
int64_t scaled_channels(int64_t c, double m);

// One-line errors for a width multiplier outside (0, 4] or an input smaller than the
// network's minimum.
void check_cnn_config(const ClassifierInfo& info, const CnnConfig& c);
// Checks and builds the network of an image classifier, weights drawn from `gen`.
std::shared_ptr<nn::Module> make_classifier(const std::string& name, const CnnConfig& c, Generator& gen);

// The factories (each in its network's file).
std::shared_ptr<nn::Module> make_vgg16(const CnnConfig& c, Generator& gen);
std::shared_ptr<nn::Module> make_inceptionv3(const CnnConfig& c, Generator& gen);
std::shared_ptr<nn::Module> make_resnet50(const CnnConfig& c, Generator& gen);
std::shared_ptr<nn::Module> make_alexnet(const CnnConfig& c, Generator& gen);
std::shared_ptr<nn::Module> make_fcnn(const CnnConfig& c, Generator& gen);

// Inception-v3's stem at a given input side: how many of the paper's three stride-2 steps
// (Conv2d_1a's stride, maxpool1, maxpool2) it keeps. The paper's 299 px input and anything down
// to 75 px keep all three; smaller inputs would leave no grid for the last reduction, so
// Conv2d_1a gets stride 1 below 75 px and maxpool1 goes too below 39 px (at least 21 px).
int inceptionv3_stem_reductions(int64_t input_size);

// Stride-2 stages of the fully convolutional classifier at a given input side: All-CNN-C's two,
// and one more per halving needed to bring the last grid down to 8 x 8 or less.
int fcnn_reductions(int64_t input_size);

// ---- alexnet-tl: the pretrained weights ----

// Loads torchvision's AlexNet weights (exported to .safetensors under torchvision's names,
// docs/APP.md) into an AlexNet built at width multiplier 1: every features.* and
// classifier.1 / classifier.4 tensor must be present with torchvision's shape, the first
// convolution's RGB filters are summed into one grey-level channel (a [64, 1, 11, 11] weight is
// taken as it is), and the 1000-way ImageNet layer classifier.6 is skipped (the network keeps
// its own freshly initialised 1-logit head). A missing, mis-shaped, unexpected or truncated
// tensor is a one-line error naming it and the file. Returns the names loaded.
std::vector<std::string> load_alexnet_pretrained(nn::Module& alexnet, const std::string& path);
// The name prefix of AlexNet's last layer (the head that transfer learning replaces).
inline constexpr const char* kAlexNetHead = "classifier.6.";

}  // namespace fbd::app
