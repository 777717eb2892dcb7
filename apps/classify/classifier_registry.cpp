#include "apps/classify/classifier_registry.h"

#include <cmath>
#include <set>
#include <sstream>

#include "core/error.h"

namespace fbd::app {

const std::vector<ClassifierInfo>& classifier_registry() {
  // FCNN's paper trains on 32 px images; on a GPU it takes the others' 224 px.
  constexpr double none = NAN;
  static const std::vector<ClassifierInfo> rows = {
      {"mlp", "MLP", ClassifierInput::Features, "MLP on per-patient shape, volume and intensity features",
       "Focal Boundary Dice, J. Cancer 2023 (Table 4)", 0, 0, nullptr, {85.0, 90.0, 80.0}},
      {"vgg16", "VGG16", ClassifierInput::Image,
       "VGG16, configuration D: thirteen 3x3 convolutions, three dense layers", "Simonyan & Zisserman, ICLR 2015",
       224, 32, make_vgg16, {71.2, 72.4, 73.2}, false, 1e-4},
      {"inceptionv3", "Inception-v3", ClassifierInput::Image,
       "Inception-v3: factorised 1x7/7x1 and 1x3/3x1 convolutions, grid reductions (no auxiliary head)",
       "Szegedy et al., CVPR 2016", 299, 21, make_inceptionv3, {76.5, 77.2, 76.9}},
      {"resnet50", "ResNet-50", ClassifierInput::Image, "ResNet-50: bottleneck residual blocks [3, 4, 6, 3]",
       "He et al., CVPR 2016", 224, 32, make_resnet50, {81.6, 81.5, 81.6}},
      {"alexnet", "AlexNet", ClassifierInput::Image,
       "AlexNet as torchvision defines it: five convolutions, three dense layers, trained from scratch",
       "Krizhevsky et al., NIPS 2012", 224, 63, make_alexnet, {none, none, none}},
      {"fcnn", "FCNN", ClassifierInput::Image,
       "fully convolutional: All-CNN-C's 3x3 stages, a 1x1 class convolution, global average pooling",
       "Springenberg et al., ICLR 2015 workshop (All-CNN-C); Lin et al., ICLR 2014 (global average pooling)", 224,
       32, make_fcnn, {80.1, 81.2, 80.6}},
      {"alexnet-tl", "AlexNet-TL", ClassifierInput::Image,
       "AlexNet by transfer learning: pretrained (ImageNet weights from --pretrained, or tumour vs background "
       "crops of the training folds), a new 1-logit head, fine-tuned",
       "Krizhevsky et al., NIPS 2012", 224, 63, make_alexnet, {86.3, 86.1, 85.0}, true},
  };
  return rows;
}

const std::vector<std::string>& classifier_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const ClassifierInfo& r : classifier_registry()) n.emplace_back(r.name);
    return n;
  }();
  return names;
}

std::string classifier_name_list() {
  const auto& names = classifier_names();
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) s += (i == 0 ? "" : (i + 1 == names.size() ? " or " : ", ")) + names[i];
  return s;
}

const ClassifierInfo& find_classifier(const std::string& name) {
  for (const ClassifierInfo& r : classifier_registry())
    if (name == r.name) return r;
  std::string names;
  for (const std::string& n : classifier_names()) names += n + ", ";
  FBD_FAIL("unknown classifier '", name, "': expected one of ", names, "or all");
}

std::vector<std::string> parse_classifier_list(const std::string& value) {
  if (value == "all") return classifier_names();
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::stringstream ss(value);
  std::string name;
  while (std::getline(ss, name, ',')) {
    FBD_CHECK(name != "all", "--classifier: 'all' cannot be combined with other names");
    find_classifier(name);
    FBD_CHECK(seen.insert(name).second, "--classifier: '", name, "' is listed twice");
    out.push_back(name);
  }
  FBD_CHECK(!out.empty() && value.back() != ',', "--classifier: expected ", classifier_name_list(),
            ", a comma-separated list of them, or all; got '", value, "'");
  return out;
}

int64_t scaled_channels(int64_t c, double m) {
  return std::max<int64_t>(1, int64_t(std::floor(double(c) * m + 0.5)));
}

void check_cnn_config(const ClassifierInfo& info, const CnnConfig& c) {
  FBD_CHECK(info.input == ClassifierInput::Image, "classifier '", info.name, "' does not work on images");
  FBD_CHECK(c.width_mult > 0 && c.width_mult <= 4 && std::isfinite(c.width_mult),
            "--width-mult must be in (0, 4], got ", c.width_mult);
  FBD_CHECK(c.input_size >= info.min_input && c.input_size <= 1024, info.name, " needs --input-size in [",
            info.min_input, ", 1024], got ", c.input_size);
}

std::shared_ptr<nn::Module> make_classifier(const std::string& name, const CnnConfig& c, Generator& gen) {
  const ClassifierInfo& info = find_classifier(name);
  check_cnn_config(info, c);
  return info.make(c, gen);
}

}  // namespace fbd::app
