#include "apps/train/evaluate.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "apps/nets/blocks.h"
#include "apps/train/run_data.h"
#include "core/autograd.h"
#include "data/augment.h"
#include "data/morphology.h"
#include "data/quadrants.h"

namespace fbd::app {

namespace {

// Up to this many network inputs per forward pass.
constexpr int64_t kEvalBatch = 16;

data::Image resized(const data::Image& img, int64_t h, int64_t w) {
  data::Sample s;
  s.image = img;
  data::resize(s, h, w);
  return s.image;
}

// The network inputs of one slice and where their outputs go.
struct Piece {
  size_t slice;
  int quadrant;                     // 1..4, or 0 for the whole slice
  std::vector<data::Image> inputs;  // one per channel, as cut from the slice
};

}  // namespace

std::vector<data::Sample> load_slices(const data::Dataset& ds, const std::vector<std::string>& ids) {
  std::vector<data::Sample> out;
  for (const std::string& id : ids) {
    const data::CaseEntry* c = ds.find(id);
    FBD_CHECK(c != nullptr, ds.root, ": no case '", id, "'");
    out.push_back(data::load_case(*c));
  }
  return out;
}

std::vector<SlicePrediction> predict_slices(SegNet& net, const std::vector<data::Sample>& slices, const RunConfig& c,
                                            Device device) {
  std::vector<SlicePrediction> preds(slices.size());
  std::vector<data::QuadrantLayout> layouts(slices.size());
  std::vector<std::array<data::Image, 4>> quad_prob(slices.size()), quad_edge(slices.size());
  std::vector<Piece> pieces;
  for (size_t i = 0; i < slices.size(); ++i) {
    const data::Sample& s = slices[i];
    preds[i] = {s.id, s.image, s.mask, s.edge, {}, {}};
    FBD_CHECK(s.channels() == net.in_channels(), s.id, ": has ", s.channels(), " channel(s) but the network takes ",
              net.in_channels(), " (train and predict with the same --channels)");
    if (c.quadrants) {
      // The layout comes from channel 0 and cuts every channel alike.
      layouts[i] = data::quadrant_layout(s.image);
      const size_t first = pieces.size();
      for (int q = 0; q < 4; ++q) pieces.push_back({i, q + 1, {}});
      for (int64_t ch = 0; ch < s.channels(); ++ch) {
        const auto parts = data::split_quadrants(layouts[i], data::channel(s, ch));
        for (size_t q = 0; q < 4; ++q) pieces[first + q].inputs.push_back(parts[q]);
      }
    } else {
      Piece p{i, 0, {}};
      for (int64_t ch = 0; ch < s.channels(); ++ch) p.inputs.push_back(data::channel(s, ch));
      pieces.push_back(std::move(p));
    }
  }
  const bool was_training = net.is_training();
  net.eval();
  NoGradGuard no_grad;
  for (size_t start = 0; start < pieces.size(); start += kEvalBatch) {
    const size_t end = std::min(pieces.size(), start + kEvalBatch);
    const int64_t n = int64_t(end - start), S = c.size, C = net.in_channels();
    std::vector<float> batch(static_cast<size_t>(n * C * S * S));
    for (size_t k = start; k < end; ++k)
      for (int64_t ch = 0; ch < C; ++ch) {
        data::Image in = resized(pieces[k].inputs[size_t(ch)], S, S);
        normalize_for_network(in);
        std::copy(in.px.begin(), in.px.end(), batch.begin() + (int64_t(k - start) * C + ch) * S * S);
      }
    const SegOutput out = net.forward_seg(Tensor::from_vector(batch, {n, C, S, S}, device));
    const std::vector<float> prob = sigmoid(out.pred).to_vector();
    const std::vector<float> edge = out.edge.defined() ? sigmoid(out.edge).to_vector() : std::vector<float>();
    for (size_t k = start; k < end; ++k) {
      const Piece& p = pieces[k];
      const int64_t off = int64_t(k - start) * S * S;
      data::Image pr(S, S), ed(S, S);
      std::copy(prob.begin() + off, prob.begin() + off + S * S, pr.px.begin());
      if (!edge.empty()) std::copy(edge.begin() + off, edge.begin() + off + S * S, ed.px.begin());
      const int64_t h = p.inputs[0].height, w = p.inputs[0].width;
      if (p.quadrant == 0) {
        preds[p.slice].prob = resized(pr, h, w);
        if (!edge.empty()) preds[p.slice].edge_prob = resized(ed, h, w);
      } else {
        quad_prob[p.slice][size_t(p.quadrant - 1)] = resized(pr, h, w);
        if (!edge.empty()) quad_edge[p.slice][size_t(p.quadrant - 1)] = resized(ed, h, w);
      }
    }
  }
  if (c.quadrants) {
    for (size_t i = 0; i < slices.size(); ++i) {
      preds[i].prob = data::stitch_quadrants(layouts[i], quad_prob[i]);
      if (!quad_edge[i][0].empty()) preds[i].edge_prob = data::stitch_quadrants(layouts[i], quad_edge[i]);
    }
  }
  net.train(was_training);
  return preds;
}

void check_eval_options(const EvalOptions& o) {
  FBD_CHECK(o.fov == "slice" || o.fov == "quadrant", "--fov must be slice or quadrant, got '", o.fov, "'");
}

namespace {

// The tumour's quadrant(s) of the slice, clipped to it; the whole slice without a tumour.
data::Rect tumour_view(const SlicePrediction& p) {
  const data::Rect whole{0, 0, p.mask.height, p.mask.width};
  const data::QuadrantLayout q = data::quadrant_layout(p.image);
  const std::vector<int> qs = data::tumour_quadrants(q, p.mask);
  if (qs.empty()) return whole;
  int64_t y0 = p.mask.height, x0 = p.mask.width, y1 = 0, x1 = 0;
  for (int k : qs) {
    const data::Rect& r = q.rects[size_t(k - 1)];
    y0 = std::min(y0, r.y), x0 = std::min(x0, r.x), y1 = std::max(y1, r.y + r.h), x1 = std::max(x1, r.x + r.w);
  }
  y0 = std::max<int64_t>(y0, 0), x0 = std::max<int64_t>(x0, 0);
  y1 = std::min(y1, p.mask.height), x1 = std::min(x1, p.mask.width);
  return {y0, x0, y1 - y0, x1 - x0};
}

}  // namespace

std::vector<CaseMetrics> evaluate_predictions(const std::vector<SlicePrediction>& preds, const EvalOptions& o) {
  check_eval_options(o);
  std::vector<CaseMetrics> out;
  for (const SlicePrediction& p : preds) {
    FBD_CHECK(!p.mask.empty(), p.id, ": no ground-truth mask to evaluate against");
    // Bilinear resizing may overshoot [0, 1] by rounding; the metrics want probabilities.
    data::Image prob = p.prob;
    for (float& v : prob.px) v = std::min(1.0f, std::max(0.0f, v));
    if (o.largest || o.fill_holes) {
      for (float& v : prob.px) v = v >= 0.5f ? 1.0f : 0.0f;
      if (o.largest) prob = data::largest_component(prob);
      if (o.fill_holes) prob = data::fill_holes(prob);
    }
    data::Image mask = p.mask;
    if (o.fov == "quadrant") {
      const data::Rect r = tumour_view(p);
      prob = data::crop(prob, r);
      mask = data::crop(mask, r);
    }
    const Shape shape{1, 1, prob.height, prob.width};
    const MetricsReport r = compute_metrics(Tensor::from_vector(prob.px, shape), Tensor::from_vector(mask.px, shape));
    out.push_back({p.id, r.images.at(0)});
  }
  return out;
}

std::vector<CaseMetrics> per_patient(const std::vector<CaseMetrics>& slices, const data::Dataset& ds) {
  std::map<std::string, std::string> patient_of;
  for (const data::CaseEntry& c : ds.cases) patient_of[c.id] = c.patient;
  std::vector<std::string> order;
  std::map<std::string, std::vector<const ImageMetrics*>> of;
  for (const CaseMetrics& cm : slices) {
    const auto it = patient_of.find(cm.id);
    FBD_CHECK(it != patient_of.end(), cm.id, ": not a case of the data set");
    auto& v = of[it->second];
    if (v.empty()) order.push_back(it->second);
    v.push_back(&cm.m);
  }
  // 0/0 is 1 for the overlap scores that are 1 when both are empty, NaN for the others.
  auto ratio = [](double num, double den, double empty) { return den > 0 ? num / den : empty; };
  std::vector<CaseMetrics> out;
  for (const std::string& p : order) {
    ImageMetrics m;
    for (const ImageMetrics* s : of[p]) m.tp += s->tp, m.fp += s->fp, m.fn += s->fn, m.tn += s->tn;
    const double tp = double(m.tp), fp = double(m.fp), fn = double(m.fn), tn = double(m.tn);
    auto set = [&](Metric k, double v) { m.value[size_t(k)] = v; };
    set(Metric::Dice, ratio(2 * tp, 2 * tp + fp + fn, 1.0));
    set(Metric::IoU, ratio(tp, tp + fp + fn, 1.0));
    set(Metric::MIoU, (m[Metric::IoU] + ratio(tn, tn + fp + fn, 1.0)) / 2);
    set(Metric::Precision, ratio(tp, tp + fp, NAN));
    set(Metric::Sensitivity, ratio(tp, tp + fn, NAN));
    set(Metric::Specificity, ratio(tn, tn + fp, NAN));
    set(Metric::Accuracy, ratio(tp + tn, tp + tn + fp + fn, NAN));
    for (Metric k : {Metric::HD, Metric::HD95, Metric::BoundaryIoU, Metric::BoundaryDice}) {
      double sum = 0;
      int n = 0;
      for (const ImageMetrics* s : of[p])
        if (!std::isnan((*s)[k])) sum += (*s)[k], ++n;
      set(k, n > 0 ? sum / n : NAN);
    }
    for (const ImageMetrics* s : of[p]) m.hd_one_empty |= s->hd_one_empty;
    out.push_back({p, m});
  }
  return out;
}

const std::vector<Metric>& table2_metrics() {
  static const std::vector<Metric> m = {Metric::Dice, Metric::Precision, Metric::Specificity, Metric::IoU,
                                        Metric::HD,   Metric::HD95,      Metric::BoundaryIoU, Metric::BoundaryDice};
  return m;
}

MetricMean mean_metric(const std::vector<CaseMetrics>& cases, Metric m) {
  MetricMean r;
  double sum = 0;
  for (const CaseMetrics& c : cases) {
    const double v = c.m[m];
    if (std::isnan(v)) {
      ++r.left_out;
    } else {
      sum += v;
      ++r.used;
    }
  }
  r.mean = r.used > 0 ? sum / double(r.used) : NAN;
  return r;
}

}  // namespace fbd::app
