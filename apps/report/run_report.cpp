#include "apps/report/run_report.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "apps/nets/net_registry.h"
#include "apps/train/run_data.h"
#include "data/draw.h"
#include "data/image_io.h"

namespace fbd::app {

namespace {

std::vector<uint8_t> png_bytes(const data::RgbImage& img) {
  const std::vector<char> b = data::encode_png(img);
  return std::vector<uint8_t>(b.begin(), b.end());
}

Series series(const std::string& label, const std::vector<EpochRecord>& h, double EpochRecord::*field, bool dashed) {
  Series s{label, {}, {}, dashed};
  for (const EpochRecord& r : h) {
    s.x.push_back(r.epoch);
    s.y.push_back(r.*field);
  }
  return s;
}

bool has_tumour(const data::Image& m) {
  return std::any_of(m.px.begin(), m.px.end(), [](float v) { return v != 0.0f; });
}

data::Image threshold(const data::Image& prob) {
  data::Image m(prob.height, prob.width);
  for (size_t i = 0; i < m.px.size(); ++i) m.px[i] = prob.px[i] >= 0.5f ? 1.0f : 0.0f;
  return m;
}

// Indices of up to n predictions, those with tumour in the ground truth first, spread evenly.
std::vector<size_t> pick(const std::vector<SlicePrediction>& preds, size_t n) {
  std::vector<size_t> with, without;
  for (size_t i = 0; i < preds.size(); ++i) (has_tumour(preds[i].mask) ? with : without).push_back(i);
  std::vector<size_t> order = with;
  order.insert(order.end(), without.begin(), without.end());
  if (order.size() <= n) return order;
  std::vector<size_t> out;
  const size_t pool = std::max(n, std::min(order.size(), with.size()));  // spread over the tumour slices
  for (size_t k = 0; k < n; ++k) out.push_back(order[k * pool / n]);
  return out;
}

// fbdnet's reading, for the report's first paragraph: ", boundary attention on stage 2, U-Net's
// skeleton" or the parts that differ from it.
std::string fbdnet_text(const NetConfig& n) {
  std::string s = ", " + boundary_attention_text(n.bam_stage);
  const bool unet_skeleton = n.decoder == "unet" && n.upsample == "transposed" && n.downsample == "maxpool" &&
                             n.block == "plain" && n.stem == "none" && n.stage5_width == 16;
  if (unet_skeleton) return s + ", U-Net's skeleton";
  s += ", " + n.head + "-resolution head";
  if (n.top_down == 2) s += ", top-down path to stage 2";
  if (n.decoder == "unet")
    s += n.upsample == "transposed" ? ", U-Net decoder (transposed convolutions)" : ", U-Net decoder";
  else
    s += ", top-down (FPN) decoder";
  if (n.downsample == "maxpool") s += ", max-pooling downsampling";
  if (n.block == "plain") s += ", plain encoder blocks";
  if (n.stem == "none") s += ", no stem convolution";
  if (n.stage5_width == 16) s += ", stage 5 at 16x width";
  return s;
}

}  // namespace

std::vector<Chart> history_charts(const std::vector<EpochRecord>& h, const std::string& p) {
  return {
      Chart{p + "total loss",
            "epoch",
            "loss",
            {series("train loss", h, &EpochRecord::train_loss, false),
             series("test loss", h, &EpochRecord::test_loss, true)}},
      Chart{p + "Dice",
            "epoch",
            "Dice",
            {series("train Dice", h, &EpochRecord::train_dice, false),
             series("test Dice", h, &EpochRecord::test_dice, true)}},
      Chart{p + "mean IoU",
            "epoch",
            "mIoU",
            {series("train mIoU", h, &EpochRecord::train_miou, false),
             series("test mIoU", h, &EpochRecord::test_miou, true)}},
      Chart{p + "pixel accuracy",
            "epoch",
            "accuracy",
            {series("train PA", h, &EpochRecord::train_accuracy, false),
             series("test PA", h, &EpochRecord::test_accuracy, true)}},
      Chart{p + "Hausdorff distance",
            "epoch",
            "pixels",
            {series("train HD", h, &EpochRecord::train_hd, false), series("test HD", h, &EpochRecord::test_hd, true)}},
  };
}

Table case_table(const std::vector<CaseMetrics>& cases, const std::string& caption, const std::string& unit) {
  const std::vector<Metric>& cols = table2_metrics();
  Table t;
  t.caption = caption;
  t.columns = {unit};
  for (Metric m : cols) t.columns.push_back(metric_name(m));
  for (const CaseMetrics& c : cases) {
    std::vector<std::string> row = {c.id + (c.m.hd_one_empty ? " *" : "")};
    for (Metric m : cols) row.push_back(format_number(c.m[m], 3));
    t.rows.push_back(row);
  }
  t.footer = {"mean"};
  for (Metric m : cols) {
    const MetricMean mm = mean_metric(cases, m);
    t.footer.push_back(format_number(mm.mean, 3) +
                       (mm.left_out ? " (" + std::to_string(mm.left_out) + " left out)" : ""));
  }
  return t;
}

std::vector<Image> overlay_images(const std::vector<SlicePrediction>& preds, size_t max_cases) {
  std::vector<Image> out;
  for (size_t i : pick(preds, max_cases)) {
    const SlicePrediction& p = preds[i];
    data::RgbImage img = data::gray_to_rgb(p.image);
    if (!p.mask.empty()) data::draw_outline(img, p.mask, 0, 0, {40, 220, 60});
    data::draw_outline(img, threshold(p.prob), 0, 0, {255, 40, 40});
    out.push_back({p.id, png_bytes(img)});
  }
  return out;
}

std::vector<Image> edge_images(const std::vector<SlicePrediction>& preds, size_t max_cases) {
  std::vector<Image> out;
  for (size_t i : pick(preds, max_cases)) {
    const SlicePrediction& p = preds[i];
    if (p.edge_prob.empty()) continue;
    out.push_back({p.id + " image", png_bytes(data::gray_to_rgb(p.image))});
    if (!p.edge.empty()) out.push_back({p.id + " edge ground truth", png_bytes(data::gray_to_rgb(p.edge))});
    out.push_back({p.id + " predicted edge", png_bytes(data::gray_to_rgb(p.edge_prob))});
  }
  return out;
}

RunReportInput held_out_report(const data::Dataset& ds, const RunConfig& c, const TrainResult& result) {
  RunReportInput in;
  in.title = "fbd run: " + c.net.net + " with the " + c.loss.name + " loss";
  in.config = c;
  in.device = result.device.str();
  in.history = result.history;
  const std::vector<std::string> ids = case_ids(ds, c.test_patients);
  if (!ids.empty()) {
    in.held_out = predict_slices(*result.net, load_slices(ds, ids), c, result.device);
    in.held_out_metrics = evaluate_predictions(in.held_out);
    in.held_out_patients = per_patient(in.held_out_metrics, ds);
  }
  return in;
}

void write_run_report(const std::string& run_dir, const RunReportInput& in, const std::function<void(Report&)>& extra) {
  Report r(in.title);
  const RunConfig& c = in.config;
  double seconds = 0;
  for (const EpochRecord& e : in.history) seconds += e.seconds;
  r.paragraph("Network " + c.net.net + " (width " + std::to_string(c.net.width) +
              (c.net.net == "fbdnet" ? fbdnet_text(c.net) : "") + "), loss " + c.loss.name + ", " +
              std::to_string(in.history.size()) + " epochs of batch " + std::to_string(c.batch) + " at " +
              std::to_string(c.size) + " px" +
              (c.quadrants ? (c.all_quadrants ? " (all quadrants)" : " (tumour quadrants)") : "") + ", on " +
              in.device + " in " + format_number(seconds, 1) + " s. Data: " + c.data + "; " +
              std::to_string(c.train_patients.size()) + " training and " + std::to_string(c.test_patients.size()) +
              " held-out patients. Evaluated with the " + in.checkpoint + " checkpoint.");
  r.heading("Training curves (held-out patients dashed)");
  r.charts(history_charts(in.history));
  if (!in.held_out_patients.empty()) {
    r.heading("Held-out patients (paper Table 2)");
    r.table(case_table(in.held_out_patients,
                       "Each patient's slices pooled for Dice, precision, specificity and IoU; HD, HD95 and the "
                       "boundary scores are means over its slices; * a slice with one mask empty",
                       "patient"));
  }
  if (!in.held_out_metrics.empty()) {
    r.heading("Held-out slices");
    r.table(case_table(in.held_out_metrics,
                       "Whole slices, prediction p >= 0.5; * one mask empty: HD is the image diagonal"));
  }
  if (!in.held_out.empty()) {
    r.heading("Segmentations (paper Fig. 10): ground truth green, prediction red");
    r.images(overlay_images(in.held_out, 12));
    const std::vector<Image> edges = edge_images(in.held_out, 4);
    if (!edges.empty()) {
      r.heading("Boundary attention (paper Fig. 8): image, edge ground truth, predicted edge");
      r.images(edges);
    }
  }
  if (extra) extra(r);
  r.write((std::filesystem::path(run_dir) / "report.html").string());
}

}  // namespace fbd::app
