#include "apps/classify/cnn_classifier.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "apps/classify/roi.h"
#include "apps/train/progress.h"
#include "core/autograd.h"
#include "core/error.h"
#include "data/random.h"
#include "layers/layers.h"
#include "losses/losses.h"
#include "optim/optim.h"

namespace fbd::app {

void check_cnn_options(const CnnOptions& o) {
  FBD_CHECK(o.epochs >= 1 && o.epochs <= 100000, "--cnn-epochs must be in [1, 100000], got ", o.epochs);
  FBD_CHECK(o.batch >= 2 && o.batch <= 4096, "--batch must be in [2, 4096], got ", o.batch);
  FBD_CHECK(o.lr > 0 && std::isfinite(o.lr), "--cnn-lr must be positive, got ", o.lr);
  FBD_CHECK(o.weight_decay >= 0 && std::isfinite(o.weight_decay), "CNN weight decay must be >= 0, got ",
            o.weight_decay);
  FBD_CHECK(o.pretrain_epochs >= 1 && o.pretrain_epochs <= 100000, "--pretrain-epochs must be in [1, 100000], got ",
            o.pretrain_epochs);
  FBD_CHECK(o.finetune_lr_scale > 0 && o.finetune_lr_scale <= 1, "the fine-tuning rate scale must be in (0, 1], got ",
            o.finetune_lr_scale);
}

double alexnet_file_width(const std::string& path) {
  const NamedTensors file = nn::load_safetensors(path);
  for (const auto& [name, t] : file)
    if (name == "features.0.weight") {
      FBD_CHECK(t.dim() == 4 && t.size(0) >= 1 && (t.size(1) == 1 || t.size(1) == 3), path,
                ": tensor 'features.0.weight' has shape ", shape_str(t.shape()),
                ", expected [64, 3, 11, 11] (torchvision's AlexNet)");
      return double(t.size(0)) / 64.0;
    }
  FBD_FAIL(path, ": no tensor 'features.0.weight' (expected torchvision's AlexNet, shape [64, 3, 11, 11])");
}

data::Image square_symmetry(const data::Image& img, int t) {
  FBD_CHECK(img.height == img.width, "square_symmetry: a ", img.size_str(), " image is not square");
  if (t == 0) return img;
  const int64_t s = img.height;
  data::Image out(s, s);
  for (int64_t y = 0; y < s; ++y)
    for (int64_t x = 0; x < s; ++x) {
      int64_t sy = y, sx = x;
      if (t & 4) std::swap(sy, sx);
      if (t & 1) sx = s - 1 - sx;
      if (t & 2) sy = s - 1 - sy;
      out.at(y, x) = img.at(sy, sx);
    }
  return out;
}

namespace {

// [n, 1, S, S] of the images (each under its symmetry, if any), on `device`.
Tensor image_batch(const std::vector<const data::Image*>& images, const std::vector<size_t>& which,
                   const std::vector<int>& symmetry, Device device) {
  FBD_CHECK(!which.empty(), "image_batch: no images");
  const int64_t s = images[which[0]]->height;
  std::vector<float> v;
  v.reserve(which.size() * size_t(s * s));
  for (size_t k = 0; k < which.size(); ++k) {
    const data::Image& img = *images[which[k]];
    FBD_CHECK(img.height == s && img.width == s, "classifier inputs must all be ", s, "x", s, ", got ",
              img.size_str());
    if (symmetry.empty() || symmetry[k] == 0) {
      v.insert(v.end(), img.px.begin(), img.px.end());
    } else {
      const data::Image t = square_symmetry(img, symmetry[k]);
      v.insert(v.end(), t.px.begin(), t.px.end());
    }
  }
  return Tensor::from_vector(v, {int64_t(which.size()), 1, s, s}, device);
}

}  // namespace

std::pair<double, double> train_image_classifier(nn::Module& net, const std::vector<const data::Image*>& images,
                                                 const std::vector<int>& labels, const std::vector<ParamGroup>& groups,
                                                 int epochs, const CnnOptions& o, uint64_t seed,
                                                 const std::string& progress_label) {
  FBD_CHECK(!images.empty() && images.size() == labels.size(), "train_image_classifier: ", images.size(),
            " images and ", labels.size(), " labels");
  std::vector<std::unique_ptr<optim::AdamW>> opts;
  for (const ParamGroup& g : groups) {
    optim::AdamOptions ao;
    ao.lr = g.lr;
    ao.weight_decay = o.weight_decay;
    opts.push_back(std::make_unique<optim::AdamW>(g.params, ao));
  }
  // Mini-batch boundaries: a last batch of one joins the one before.
  const size_t n = images.size(), b = size_t(o.batch);
  std::vector<size_t> starts;
  for (size_t s = 0; s < n; s += b) starts.push_back(s);
  if (starts.size() > 1 && n - starts.back() == 1) starts.pop_back();
  starts.push_back(n);

  std::unique_ptr<Progress> bar;
  if (!progress_label.empty()) bar = std::make_unique<Progress>(progress_label, epochs, "epoch");
  net.train();
  double first = NAN, last = NAN;
  std::vector<size_t> order(n);
  for (int e = 0; e < epochs; ++e) {
    data::SampleRandom rng(seed, uint64_t(e), 0xC1A55ull);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    for (size_t i = n; i-- > 1;) std::swap(order[i], order[size_t(rng.integer(0, int64_t(i)))]);
    double sum = 0;
    for (size_t s = 0; s + 1 < starts.size(); ++s) {
      const std::vector<size_t> which(order.begin() + int64_t(starts[s]), order.begin() + int64_t(starts[s + 1]));
      std::vector<int> sym;
      std::vector<float> y;
      for (size_t i : which) {
        sym.push_back(o.augment ? int(rng.integer(0, 7)) : 0);
        y.push_back(float(labels[i]));
      }
      const Tensor x = image_batch(images, which, sym, o.device);
      const Tensor target = Tensor::from_vector(y, {int64_t(y.size()), 1}, o.device);
      const Tensor logits = net.forward(x);
      // bce_loss refuses non-finite logits; name the network's step instead.
      for (float v : logits.to_vector<float>())
        FBD_CHECK(std::isfinite(v), "classifier training: the loss is ", v, " at epoch ", e + 1,
                  " (a non-finite output: try a smaller --cnn-lr)");
      const Tensor loss = bce_loss(logits, target);
      for (auto& opt : opts) opt->zero_grad();
      loss.backward();
      for (auto& opt : opts) opt->step();
      const double l = loss.item();
      FBD_CHECK(std::isfinite(l), "classifier training: the loss is ", l, " at epoch ", e + 1,
                " (try a smaller --cnn-lr)");
      sum += l * double(which.size());
    }
    const double mean = sum / double(n);
    if (e == 0) first = mean;
    last = mean;
    if (bar) bar->update(e + 1, "loss " + std::to_string(mean).substr(0, 5));
  }
  if (bar) bar->finish();
  // Batch norm's statistics for evaluation, from the final weights (layers/batchnorm.h).
  nn::recompute_batch_norm_stats(net, int64_t(starts.size()) - 1, [&](int64_t k) {
    std::vector<size_t> which;
    for (size_t i = starts[size_t(k)]; i < starts[size_t(k) + 1]; ++i) which.push_back(i);
    net.forward(image_batch(images, which, {}, o.device));
  });
  return {first, last};
}

std::vector<double> patient_means(const std::vector<double>& p, const std::vector<size_t>& owner, size_t patients,
                                  double fallback) {
  FBD_CHECK(p.size() == owner.size(), "patient_means: ", p.size(), " probabilities and ", owner.size(), " owners");
  std::vector<double> sum(patients, 0.0), count(patients, 0.0);
  for (size_t j = 0; j < p.size(); ++j) {
    FBD_CHECK(owner[j] < patients, "patient_means: owner ", owner[j], " of ", patients, " patients");
    sum[owner[j]] += p[j], count[owner[j]] += 1;
  }
  std::vector<double> out(patients);
  for (size_t i = 0; i < patients; ++i) out[i] = count[i] > 0 ? sum[i] / count[i] : fallback;
  return out;
}

std::vector<double> predict_images(nn::Module& net, const std::vector<const data::Image*>& images, Device device) {
  std::vector<double> out;
  if (images.empty()) return out;
  const bool was_training = net.is_training();
  net.eval();
  NoGradGuard no_grad;
  constexpr size_t kBatch = 64;
  for (size_t s = 0; s < images.size(); s += kBatch) {
    std::vector<size_t> which;
    for (size_t i = s; i < std::min(images.size(), s + kBatch); ++i) which.push_back(i);
    const std::vector<float> p = sigmoid(net.forward(image_batch(images, which, {}, device))).to_vector<float>();
    out.insert(out.end(), p.begin(), p.end());
  }
  net.train(was_training);
  return out;
}

CnnPatientClassifier::CnnPatientClassifier(const std::string& name, const CnnOptions& o)
    : name_(name), o_(o), config_(o.net) {
  const ClassifierInfo& info = find_classifier(name);
  FBD_CHECK(info.input == ClassifierInput::Image, "classifier '", name, "' does not work on images");
  check_cnn_options(o);
  transfer_ = info.transfer;
  FBD_CHECK(o.pretrained.empty() || transfer_, "--pretrained is for alexnet-tl, not ", name);
  if (transfer_ && !o.pretrained.empty()) config_.width_mult = alexnet_file_width(o.pretrained);
  check_cnn_config(info, config_);
  if (transfer_ && !o.pretrained.empty()) {
    // The whole file is checked now, before any work.
    Generator gen(1);
    load_alexnet_pretrained(*make_classifier(name, config_, gen), o.pretrained);
  }
}

FoldFit CnnPatientClassifier::fit_predict(const FoldData& fold) {
  // The crops resized to the input size, kept alive (and in place) for the whole fold.
  std::vector<std::vector<data::Image>> store;
  store.reserve(2 * fold.train.size() + fold.test.size());
  auto inputs = [&](const std::vector<data::Image>& crops) -> const std::vector<data::Image>& {
    std::vector<data::Image>& out = store.emplace_back();
    for (const data::Image& c : crops) out.push_back(roi_crop(c, {0, 0, c.height, c.width}, config_.input_size));
    return out;
  };
  std::vector<const data::Image*> x;
  std::vector<int> y;
  int malignant = 0;
  for (size_t i = 0; i < fold.train.size(); ++i) {
    malignant += fold.train_labels[i];
    for (const data::Image& img : inputs(fold.train[i]->rois)) x.push_back(&img), y.push_back(fold.train_labels[i]);
  }
  FBD_CHECK(!x.empty(), "classify: no training patient of fold ", fold.index + 1,
            " has a tumour on any slice, so ", name_, " has nothing to learn from");
  Generator gen(fold.seed);
  auto net = make_classifier(name_, config_, gen);
  net->to(o_.device);
  parameters_ = net->num_parameters();
  const std::string label = o_.progress ? name_ + " fold " + std::to_string(fold.index + 1) : "";

  std::vector<ParamGroup> groups;
  if (transfer_) {
    if (!o_.pretrained.empty()) {
      load_alexnet_pretrained(*net, o_.pretrained);
      detail_ = "ImageNet weights from " + o_.pretrained;
    } else {
      // Tumour (1) vs background (0) crops of this fold's training patients only.
      std::vector<const data::Image*> px;
      std::vector<int> py;
      for (const PatientRecord* r : fold.train) {
        for (const data::Image& img : inputs(r->rois)) px.push_back(&img), py.push_back(1);
        for (const data::Image& img : inputs(r->backgrounds)) px.push_back(&img), py.push_back(0);
      }
      train_image_classifier(*net, px, py, {{net->named_parameters(), o_.lr}}, o_.pretrain_epochs, o_,
                             fold.seed ^ 0x9E7ull, label.empty() ? "" : label + " pretraining");
      detail_ = "pretrained on tumour vs background crops of each fold's training patients (" +
                std::to_string(o_.pretrain_epochs) + " epochs)";
      // A fresh head for the new task.
      Tensor w, b;
      for (const auto& [name, t] : net->named_parameters()) {
        if (name == std::string(kAlexNetHead) + "weight") w = t;
        if (name == std::string(kAlexNetHead) + "bias") b = t;
      }
      NoGradGuard no_grad;
      nn::init::default_layer_init_(w, b, gen);
    }
    ParamGroup body{{}, o_.lr * o_.finetune_lr_scale}, head{{}, o_.lr};
    for (const auto& [name, t] : net->named_parameters())
      (name.rfind(kAlexNetHead, 0) == 0 ? head : body).params.emplace_back(name, t);
    groups = {body, head};
  } else {
    groups = {{net->named_parameters(), o_.lr}};
  }
  const auto [first, last] = train_image_classifier(*net, x, y, groups, o_.epochs, o_, fold.seed, label);

  std::vector<const data::Image*> test_images;
  std::vector<size_t> owner;
  for (size_t i = 0; i < fold.test.size(); ++i)
    for (const data::Image& img : inputs(fold.test[i]->rois)) test_images.push_back(&img), owner.push_back(i);
  FoldFit fit;
  fit.p = patient_means(predict_images(*net, test_images, o_.device), owner, fold.test.size(),
                        double(malignant) / double(fold.train.size()));
  fit.first_loss = first, fit.final_loss = last;
  return fit;
}

}  // namespace fbd::app
