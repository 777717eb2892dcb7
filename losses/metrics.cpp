#include "losses/metrics.h"

#include <cmath>
#include <limits>

#include "core/op_util.h"
#include "core/profiler.h"
#include "kernels/metrics_kernels.h"
#include "losses/edt.h"
#include "losses/mask.h"

namespace fbd {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// a / b, or `if_empty` when b is 0 (the 0/0 cases of docs/LOSSES.md).
double ratio(double a, double b, double if_empty) { return b == 0 ? if_empty : a / b; }

void check_pred(const Tensor& pred) {
  if (pred.dtype() == DType::U8) {
    check_binary_mask(pred, "metrics: pred");
    return;
  }
  FBD_CHECK(pred.dtype() == DType::F32, "metrics: pred must be float32 probabilities or a uint8 mask, got ",
            dtype_name(pred.dtype()));
  const Tensor host = pred.cpu();
  const float* p = host.data<float>();
  for (int64_t i = 0; i < host.numel(); ++i)
    FBD_CHECK(p[i] >= 0.0f && p[i] <= 1.0f, "metrics: pred values must be probabilities in [0, 1], found ", p[i],
              " at index ", i, " (apply a sigmoid to logits first)");
}

void check_options(const MetricOptions& o) {
  FBD_CHECK(o.spacing_y > 0 && o.spacing_x > 0 && std::isfinite(o.spacing_y) && std::isfinite(o.spacing_x),
            "metrics: pixel spacing must be positive, got (", o.spacing_y, ", ", o.spacing_x, ")");
  FBD_CHECK(o.threshold > 0 && o.threshold <= 1, "metrics: threshold must be in (0, 1], got ", o.threshold);
  FBD_CHECK(o.band_ratio > 0 && o.band_ratio <= 1, "metrics: band ratio must be in (0, 1], got ", o.band_ratio);
  FBD_CHECK(o.percentile >= 0 && o.percentile <= 100, "metrics: percentile must be in [0, 100], got ", o.percentile);
}

// Binary uint8 mask of `t` (p >= threshold) on t's device.
Tensor binarize(const Tensor& t, float threshold, int64_t n) {
  const Tensor f = t.dtype() == DType::F32 ? t : t.to_dtype(DType::F32);
  Tensor out = Tensor::empty({n}, DType::U8, t.device());
  detail::dispatch(
      t, "metrics_binarize", [&] { kernels::metrics_binarize_cpu(f.data<float>(), out.data<uint8_t>(), n, threshold); },
      [&](kernels::Stream s) {
        kernels::metrics_binarize_cuda(f.data<float>(), out.data<uint8_t>(), n, threshold, s);
      });
  return out;
}

struct Masks {
  Tensor not_edge, band;
};

Masks edges_and_band(const Tensor& mask, const MaskGeometry& g, int64_t d) {
  const int64_t total = g.n * g.h * g.w;
  const Device dev = mask.device();
  Masks m{Tensor::empty({total}, DType::U8, dev), Tensor::empty({total}, DType::U8, dev)};
  Tensor rows = Tensor::empty({total}, DType::U8, dev);
  const uint8_t* in = mask.data<uint8_t>();
  uint8_t *ne = m.not_edge.data<uint8_t>(), *band = m.band.data<uint8_t>(), *r = rows.data<uint8_t>();
  detail::dispatch(
      mask, "metrics_masks", [&] { kernels::metrics_masks_cpu(in, ne, band, r, g.n, g.h, g.w, d); },
      [&](kernels::Stream s) { kernels::metrics_masks_cuda(in, ne, band, r, g.n, g.h, g.w, d, s); });
  return m;
}

}  // namespace

const char* metric_name(Metric m) {
  static const char* const names[kNumMetrics] = {"dice",        "iou",          "miou",         "precision",
                                                 "sensitivity", "specificity",  "accuracy",     "hd",
                                                 "hd95",        "boundary_iou", "boundary_dice"};
  return names[int(m)];
}

int64_t boundary_band_width(int64_t height, int64_t width, double ratio) {
  const double diag = std::sqrt(double(height) * double(height) + double(width) * double(width));
  // Python's round() (Cheng et al.'s code) rounds halves to even, as nearbyint does by default.
  const int64_t d = int64_t(std::nearbyint(ratio * diag));
  return d < 1 ? 1 : d;
}

ImageMetrics image_metrics_from_counts(const int64_t* c, const double* hd, int64_t height, int64_t width,
                                       const MetricOptions& o) {
  using namespace kernels;
  ImageMetrics r;
  r.tp = c[kTP], r.fp = c[kFP], r.fn = c[kFN], r.tn = c[kTN];
  const double tp = double(r.tp), fp = double(r.fp), fn = double(r.fn), tn = double(r.tn);
  auto set = [&](Metric m, double v) { r.value[size_t(m)] = v; };
  set(Metric::Dice, ratio(2 * tp, 2 * tp + fp + fn, 1.0));
  set(Metric::IoU, ratio(tp, tp + fp + fn, 1.0));
  set(Metric::MIoU, 0.5 * (r[Metric::IoU] + ratio(tn, tn + fp + fn, 1.0)));
  set(Metric::Precision, ratio(tp, tp + fp, kNaN));
  set(Metric::Sensitivity, ratio(tp, tp + fn, kNaN));
  set(Metric::Specificity, ratio(tn, tn + fp, kNaN));
  set(Metric::Accuracy, (tp + tn) / (double(height) * double(width)));
  const int64_t ep = c[kEdgeP], eg = c[kEdgeG];
  if (ep == 0 && eg == 0) {
    set(Metric::HD, 0.0);
    set(Metric::HD95, 0.0);
  } else if (ep == 0 || eg == 0) {
    const double dy = double(height - 1) * o.spacing_y, dx = double(width - 1) * o.spacing_x;
    const double diag = std::sqrt(dy * dy + dx * dx);
    set(Metric::HD, diag);
    set(Metric::HD95, diag);
    r.hd_one_empty = true;
  } else {
    set(Metric::HD, hd[kHD]);
    set(Metric::HD95, o.hd95 == Hd95::Pooled ? hd[kHD95Pooled] : hd[kHD95]);
  }
  const double bp = double(c[kBandP]), bg = double(c[kBandG]), both = double(c[kBandBoth]);
  set(Metric::BoundaryIoU, ratio(both, bp + bg - both, 1.0));
  set(Metric::BoundaryDice, ratio(2 * both, bp + bg, 1.0));
  return r;
}

MetricsReport compute_metrics(const Tensor& pred, const Tensor& target, const MetricOptions& options) {
  check_options(options);
  const MaskGeometry g = mask_geometry(pred, "metrics: pred"), gt = mask_geometry(target, "metrics: target");
  FBD_CHECK(g.n == gt.n && g.h == gt.h && g.w == gt.w, "metrics: pred shape ", shape_str(pred.shape()),
            " and target shape ", shape_str(target.shape()), " hold different images");
  detail::check_same_device(pred, target, "metrics");
  check_pred(pred);
  check_binary_mask(target, "metrics: target");
  profiler::Scope scope("metrics", pred.device());

  const int64_t total = g.n * g.h * g.w, plane = g.h * g.w;
  MetricsReport report;
  report.band_width = boundary_band_width(g.h, g.w, options.band_ratio);
  const Tensor pm = binarize(pred, options.threshold, total), gm = binarize(target, 0.5f, total);
  const Masks pmk = edges_and_band(pm, g, report.band_width), gmk = edges_and_band(gm, g, report.band_width);

  // Counts and Hausdorff values land in device scratch, then come to the host together.
  const size_t counts_bytes = size_t(g.n) * kernels::kNumCounts * sizeof(int64_t);
  const size_t hd_bytes = size_t(g.n) * kernels::kNumHausdorff * sizeof(double);
  const Tensor results = Tensor::zeros({int64_t((counts_bytes + hd_bytes) / 4)}, DType::F32, pred.device());
  auto* counts = static_cast<int64_t*>(results.raw_data());
  auto* hd = reinterpret_cast<double*>(static_cast<char*>(results.raw_data()) + counts_bytes);
  const uint8_t *p = pm.data<uint8_t>(), *t = gm.data<uint8_t>();
  const uint8_t *pne = pmk.not_edge.data<uint8_t>(), *gne = gmk.not_edge.data<uint8_t>();
  const uint8_t *pb = pmk.band.data<uint8_t>(), *gb = gmk.band.data<uint8_t>();
  detail::dispatch(
      pm, "metrics_counts", [&] { kernels::metrics_counts_cpu(p, t, pne, gne, pb, gb, counts, g.n, plane); },
      [&](kernels::Stream s) { return kernels::metrics_counts_cuda(p, t, pne, gne, pb, gb, counts, g.n, plane, s); });

  // Distances to each mask's boundary: the EDT of "not boundary" (zeros on the boundary).
  const Shape nhw{g.n, g.h, g.w};
  const Tensor to_pred_edge = edt(pmk.not_edge.reshape(nhw), options.spacing_y, options.spacing_x);
  const Tensor to_target_edge = edt(gmk.not_edge.reshape(nhw), options.spacing_y, options.spacing_x);
  const float *dpt = to_target_edge.data<float>(), *dtp = to_pred_edge.data<float>();
  const double q = options.percentile;
  detail::dispatch(
      pm, "metrics_hausdorff", [&] { kernels::metrics_hausdorff_cpu(pne, gne, dpt, dtp, counts, hd, g.n, plane, q); },
      [&](kernels::Stream s) {
        detail::Workspace ws(kernels::metrics_hausdorff_workspace_bytes(g.n, plane), pm.device());
        return kernels::metrics_hausdorff_cuda(pne, gne, dpt, dtp, counts, hd, g.n, plane, q, ws.get(), s);
      });

  std::vector<int64_t> host_counts(static_cast<size_t>(g.n) * kernels::kNumCounts);
  std::vector<double> host_hd(static_cast<size_t>(g.n) * kernels::kNumHausdorff, 0.0);
  copy_bytes(host_counts.data(), Device::cpu(), counts, pred.device(), counts_bytes);
  copy_bytes(host_hd.data(), Device::cpu(), hd, pred.device(), hd_bytes);

  std::array<double, kNumMetrics> sums{};
  for (int64_t n = 0; n < g.n; ++n) {
    const ImageMetrics m = image_metrics_from_counts(host_counts.data() + n * kernels::kNumCounts,
                                                     host_hd.data() + n * kernels::kNumHausdorff, g.h, g.w, options);
    for (int k = 0; k < kNumMetrics; ++k) {
      if (std::isnan(m.value[size_t(k)])) {
        ++report.mean[size_t(k)].left_out;
      } else {
        sums[size_t(k)] += m.value[size_t(k)];
        ++report.mean[size_t(k)].used;
      }
    }
    report.hd_one_empty += m.hd_one_empty;
    report.images.push_back(m);
  }
  for (int k = 0; k < kNumMetrics; ++k) {
    MetricMean& mm = report.mean[size_t(k)];
    mm.mean = mm.used > 0 ? sums[size_t(k)] / double(mm.used) : kNaN;
  }
  scope.add_bytes(pred.nbytes() + target.nbytes());
  return report;
}

}  // namespace fbd
