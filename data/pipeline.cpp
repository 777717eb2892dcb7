#include "data/pipeline.h"

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/file_io.h"
#include "data/augment.h"

namespace fbd::data {

namespace {

using json = nlohmann::json;

// Reads the keys of one step, rejecting unknown ones, with errors naming the config and step.
class StepReader {
 public:
  StepReader(const json& j, std::string where) : j_(j), where_(std::move(where)) {}

  double number(const char* key, double fallback, double lo, double hi) {
    used_.insert(key);
    if (!j_.contains(key)) return fallback;
    const json& v = j_.at(key);
    FBD_CHECK(v.is_number(), where_, ": '", key, "' must be a number");
    const double d = v.get<double>();
    FBD_CHECK(d >= lo && d <= hi, where_, ": '", key, "' = ", d, " is outside [", lo, ", ", hi, "]");
    return d;
  }
  int integer(const char* key, int fallback, int lo, int hi) {
    const double d = number(key, fallback, lo, hi);
    FBD_CHECK(d == double(int(d)), where_, ": '", key, "' must be an integer, got ", d);
    return int(d);
  }
  std::string text(const char* key, const std::string& fallback) {
    used_.insert(key);
    if (!j_.contains(key)) return fallback;
    FBD_CHECK(j_.at(key).is_string(), where_, ": '", key, "' must be a string");
    return j_.at(key).get<std::string>();
  }
  // n or [nx, ny]
  std::pair<int, int> pair(const char* key, int fallback, int lo, int hi) {
    used_.insert(key);
    if (!j_.contains(key)) return {fallback, fallback};
    const json& v = j_.at(key);
    auto check = [&](const json& e) {
      FBD_CHECK(e.is_number_integer() && e.get<int>() >= lo && e.get<int>() <= hi, where_, ": '", key,
                "' must hold integers in [", lo, ", ", hi, "]");
      return e.get<int>();
    };
    if (v.is_array()) {
      FBD_CHECK(v.size() == 2, where_, ": '", key, "' must be a number or a pair [x, y]");
      return {check(v[0]), check(v[1])};
    }
    const int n = check(v);
    return {n, n};
  }
  void finish() const {
    for (const auto& [k, v] : j_.items()) FBD_CHECK(used_.count(k) != 0, where_, ": unknown key '", k, "'");
  }
  const std::string& where() const { return where_; }

 private:
  const json& j_;
  std::string where_;
  std::set<std::string> used_{"op", "p"};
};

std::string fmt(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

struct Flip : Transform {
  bool horizontal;
  explicit Flip(bool h) : horizontal(h) {}
  void apply(Sample& s, SampleRandom&) const override { flip(s, horizontal); }
  std::string describe() const override { return horizontal ? "hflip" : "vflip"; }
  bool geometric() const override { return true; }
};

struct Rotate : Transform {
  double max_degrees;
  explicit Rotate(double m) : max_degrees(m) {}
  void apply(Sample& s, SampleRandom& r) const override {
    rotate(s, double(r.uniform(float(-max_degrees), float(max_degrees))));
  }
  std::string describe() const override { return "rotate(max_degrees=" + fmt(max_degrees) + ")"; }
  bool geometric() const override { return true; }
};

struct Elastic : Transform {
  double alpha, sigma;
  Elastic(double a, double s) : alpha(a), sigma(s) {}
  void apply(Sample& s, SampleRandom& r) const override { elastic(s, alpha, sigma, r.sub_key(0)); }
  std::string describe() const override { return "elastic(alpha=" + fmt(alpha) + ", sigma=" + fmt(sigma) + ")"; }
  bool geometric() const override { return true; }
};

struct Blur : Transform {
  int min_k, max_k;
  double sigma;
  Blur(int lo, int hi, double s) : min_k(lo), max_k(hi), sigma(s) {}
  void apply(Sample& s, SampleRandom& r) const override {
    const int choices = (max_k - min_k) / 2 + 1;
    const int k = min_k + 2 * int(r.integer(0, choices - 1));
    s.for_each_channel([&](Image& c) { gaussian_blur(c, k, sigma); });
  }
  std::string describe() const override {
    return "gaussian_blur(kernel=" + std::to_string(min_k) + ".." + std::to_string(max_k) +
           ", sigma=" + (sigma > 0 ? fmt(sigma) : std::string("auto")) + ")";
  }
  bool geometric() const override { return false; }
};

struct Clahe : Transform {
  double clip;
  int tx, ty;
  Clahe(double c, int x, int y) : clip(c), tx(x), ty(y) {}
  void apply(Sample& s, SampleRandom&) const override {
    s.for_each_channel([&](Image& c) { clahe(c, clip, tx, ty); });
  }
  std::string describe() const override {
    return "clahe(clip_limit=" + fmt(clip) + ", tiles=" + std::to_string(tx) + "x" + std::to_string(ty) + ")";
  }
  bool geometric() const override { return false; }
};

struct BrightnessContrast : Transform {
  double brightness, contrast;
  BrightnessContrast(double b, double c) : brightness(b), contrast(c) {}
  void apply(Sample& s, SampleRandom& r) const override {
    const float b = r.uniform(float(-brightness), float(brightness));
    const float c = r.uniform(float(1.0 - contrast), float(1.0 + contrast));
    s.for_each_channel([&](Image& ch) { brightness_contrast(ch, b, c); });
  }
  std::string describe() const override {
    return "brightness_contrast(brightness=" + fmt(brightness) + ", contrast=" + fmt(contrast) + ")";
  }
  bool geometric() const override { return false; }
};

struct Gamma : Transform {
  double lo, hi;
  Gamma(double l, double h) : lo(l), hi(h) {}
  void apply(Sample& s, SampleRandom& r) const override {
    const float g = r.uniform(float(lo), float(hi));
    s.for_each_channel([&](Image& c) { gamma_correct(c, g); });
  }
  std::string describe() const override { return "gamma(min=" + fmt(lo) + ", max=" + fmt(hi) + ")"; }
  bool geometric() const override { return false; }
};

struct Normalize : Transform {
  bool zscore;
  explicit Normalize(bool z) : zscore(z) {}
  void apply(Sample& s, SampleRandom&) const override {
    s.for_each_channel([&](Image& c) { zscore ? normalize_zscore(c) : normalize_minmax(c); });
  }
  std::string describe() const override { return zscore ? "normalize(zscore)" : "normalize(minmax)"; }
  bool geometric() const override { return false; }
};

struct Resize : Transform {
  int h, w;
  Resize(int hh, int ww) : h(hh), w(ww) {}
  void apply(Sample& s, SampleRandom&) const override { resize(s, h, w); }
  std::string describe() const override { return "resize(" + std::to_string(h) + "x" + std::to_string(w) + ")"; }
  bool geometric() const override { return true; }
};

AugmentPipeline::Step make_step(const json& j, const std::string& where) {
  FBD_CHECK(j.is_object(), where, ": a step must be a JSON object such as {\"op\": \"hflip\", \"p\": 0.5}");
  FBD_CHECK(j.contains("op") && j.at("op").is_string(), where, ": missing \"op\" (the transform's name)");
  const std::string op = j.at("op").get<std::string>();
  StepReader r(j, where + " (" + op + ")");
  AugmentPipeline::Step step;
  step.op = op;
  step.p = r.number("p", 1.0, 0.0, 1.0);
  if (op == "hflip" || op == "vflip") {
    step.transform = std::make_shared<Flip>(op == "hflip");
  } else if (op == "rotate") {
    step.transform = std::make_shared<Rotate>(r.number("max_degrees", 15.0, 0.0, 180.0));
  } else if (op == "elastic") {
    const double alpha = r.number("alpha", 34.0, 0.0, 1e5);
    step.transform = std::make_shared<Elastic>(alpha, r.number("sigma", 4.0, 0.1, 1e3));
  } else if (op == "gaussian_blur") {
    const int lo = r.integer("min_kernel", 3, 1, 99), hi = r.integer("max_kernel", 7, 1, 99);
    FBD_CHECK(lo % 2 == 1 && hi % 2 == 1 && lo <= hi, r.where(),
              ": kernel sizes must be odd with min_kernel <= max_kernel, got ", lo, " and ", hi);
    step.transform = std::make_shared<Blur>(lo, hi, r.number("sigma", 0.0, 0.0, 100.0));
  } else if (op == "clahe") {
    const double clip = r.number("clip_limit", 2.0, 0.0, 1000.0);
    const auto [tx, ty] = r.pair("tiles", 8, 1, 64);
    step.transform = std::make_shared<Clahe>(clip, tx, ty);
  } else if (op == "brightness_contrast") {
    const double b = r.number("brightness", 0.15, 0.0, 10.0);
    step.transform = std::make_shared<BrightnessContrast>(b, r.number("contrast", 0.25, 0.0, 1.0));
  } else if (op == "gamma") {
    const double lo = r.number("min", 0.7, 0.01, 100.0), hi = r.number("max", 1.4, 0.01, 100.0);
    FBD_CHECK(lo <= hi, r.where(), ": min ", lo, " is above max ", hi);
    step.transform = std::make_shared<Gamma>(lo, hi);
  } else if (op == "normalize") {
    const std::string mode = r.text("mode", "zscore");
    FBD_CHECK(mode == "zscore" || mode == "minmax", r.where(), ": mode must be zscore or minmax, got '", mode, "'");
    step.transform = std::make_shared<Normalize>(mode == "zscore");
  } else if (op == "resize") {
    const int h = r.integer("height", 0, 1, 1 << 15);
    step.transform = std::make_shared<Resize>(h, r.integer("width", h, 1, 1 << 15));
  } else {
    FBD_FAIL(where, ": unknown op '", op,
             "' (expected hflip, vflip, rotate, elastic, gaussian_blur, clahe, brightness_contrast, gamma, "
             "normalize or resize)");
  }
  r.finish();
  return step;
}

json parse(const std::string& text, const std::string& name) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number past double's range
    FBD_FAIL(name, ": not valid JSON (", e.what(), ")");
  }
}

}  // namespace

const std::string& AugmentPipeline::default_json() {
  static const std::string text = R"({"steps": [
  {"op": "normalize", "mode": "minmax"},
  {"op": "hflip", "p": 0.5},
  {"op": "vflip", "p": 0.2},
  {"op": "rotate", "p": 0.5, "max_degrees": 15},
  {"op": "elastic", "p": 0.3, "alpha": 34, "sigma": 4},
  {"op": "gaussian_blur", "p": 0.2, "min_kernel": 3, "max_kernel": 7},
  {"op": "clahe", "p": 0.2, "clip_limit": 2.0, "tiles": 8},
  {"op": "brightness_contrast", "p": 0.5, "brightness": 0.15, "contrast": 0.25},
  {"op": "gamma", "p": 0.3, "min": 0.7, "max": 1.4},
  {"op": "normalize", "mode": "zscore"}
]}
)";
  return text;
}

AugmentPipeline AugmentPipeline::from_json_text(const std::string& text, const std::string& name) {
  const json j = parse(text, name);
  FBD_CHECK(j.is_object() && j.contains("steps") && j.at("steps").is_array(), name,
            ": expected an object with a \"steps\" array");
  for (const auto& [k, v] : j.items()) FBD_CHECK(k == "steps", name, ": unknown key '", k, "'");
  AugmentPipeline p;
  size_t i = 0;
  for (const json& s : j.at("steps")) p.steps_.push_back(make_step(s, name + ": step " + std::to_string(++i)));
  return p;
}

AugmentPipeline AugmentPipeline::from_file(const std::string& path) {
  const std::vector<char> bytes = read_file(path);
  return from_json_text(std::string(bytes.begin(), bytes.end()), path);
}

AugmentPipeline AugmentPipeline::default_pipeline() { return from_json_text(default_json(), "default pipeline"); }

void AugmentPipeline::add_step_json(const std::string& json_object, const std::string& name) {
  steps_.push_back(make_step(parse(json_object, name), name));
}

void AugmentPipeline::apply_step(size_t i, Sample& s, uint64_t key) const {
  FBD_CHECK(i < steps_.size(), "pipeline: no step ", i);
  SampleRandom r(key, i, 0x5E9ull);
  r.uniform();  // the draw apply() spends on p, so the parameters match
  steps_[i].transform->apply(s, r);
}

void AugmentPipeline::apply(Sample& s, uint64_t key) const {
  for (size_t i = 0; i < steps_.size(); ++i) {
    SampleRandom r(key, i, 0x5E9ull);
    const bool on = r.uniform() < steps_[i].p;
    if (on) steps_[i].transform->apply(s, r);
  }
}

int AugmentPipeline::find(const std::string& op) const {
  for (size_t i = 0; i < steps_.size(); ++i)
    if (steps_[i].op == op) return int(i);
  return -1;
}

std::string AugmentPipeline::describe() const {
  std::ostringstream os;
  for (const Step& s : steps_) {
    char p[16];
    std::snprintf(p, sizeof(p), "p=%.2f ", s.p);
    os << p << s.transform->describe() << "\n";
  }
  return os.str();
}

}  // namespace fbd::data
