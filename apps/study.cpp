#include "apps/study.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>

#include "apps/report.h"
#include "apps/run_config.h"
#include "core/error.h"

namespace fbd::app {

std::vector<int> parse_fold_list(const std::string& text, size_t patients) {
  const std::vector<int> ks = parse_int_list(text, "--folds");
  std::set<int> seen;
  for (int k : ks) {
    FBD_CHECK(k >= 2, "--folds: k must be at least 2, got ", k);
    FBD_CHECK(size_t(k) <= patients, "--folds: ", k, " folds need at least ", k, " patients, the data set has ",
              patients);
    FBD_CHECK(seen.insert(k).second, "--folds: ", k, " is listed twice");
  }
  return ks;
}

std::vector<std::string> parse_name_list(const std::string& text, const std::string& what,
                                         const std::vector<std::string>& allowed) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string item;
  std::string list;
  for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
  while (std::getline(ss, item, ',')) {
    FBD_CHECK(std::find(allowed.begin(), allowed.end(), item) != allowed.end(), what, ": unknown name '", item,
              "': expected one of ", list);
    FBD_CHECK(std::find(out.begin(), out.end(), item) == out.end(), what, ": '", item, "' is listed twice");
    out.push_back(item);
  }
  FBD_CHECK(!out.empty(), what, ": empty list (expected names from ", list, ")");
  return out;
}

const std::vector<std::string>& net_names() {
  static const std::vector<std::string> names = {"fbdnet", "unet", "attunet"};
  return names;
}

void check_new_study_folder(const std::string& dir, const std::string& what) {
  namespace fs = std::filesystem;
  if (!fs::exists(dir)) return;
  FBD_CHECK(fs::is_directory(dir), what, ": ", dir, " exists and is not a folder");
  FBD_CHECK(fs::is_empty(dir), what, ": ", dir, " is not empty (choose a new folder)");
}

MeanStd mean_std(const std::vector<double>& values) {
  MeanStd m;
  double sum = 0;
  for (double v : values)
    if (std::isfinite(v)) sum += v, ++m.n;
  if (m.n == 0) {
    m.mean = m.std = NAN;
    return m;
  }
  m.mean = sum / m.n;
  double ss = 0;
  for (double v : values)
    if (std::isfinite(v)) ss += (v - m.mean) * (v - m.mean);
  m.std = std::sqrt(ss / m.n);
  return m;
}

std::string format_mean_std(const MeanStd& m, int digits) {
  if (m.n == 0) return "n/a";
  return format_number(m.mean, digits) + " \xC2\xB1 " + format_number(m.std, digits);
}

namespace {

// The metric fields of an EpochRecord, in metrics_csv_columns() order after "epoch".
constexpr int kFields = 12;
double* field(EpochRecord& r, int i) {
  double* f[kFields] = {&r.lr,        &r.train_loss, &r.train_dice, &r.train_miou,    &r.train_accuracy, &r.train_hd,
                        &r.test_loss, &r.test_dice,  &r.test_miou,  &r.test_accuracy, &r.test_hd,        &r.seconds};
  return f[i];
}

std::vector<EpochRecord> reduce_curves(const std::vector<std::vector<EpochRecord>>& folds, bool want_std) {
  FBD_CHECK(!folds.empty(), "mean_curves: no folds");
  const size_t epochs = folds[0].size();
  for (const auto& f : folds)
    FBD_CHECK(f.size() == epochs, "mean_curves: folds of ", epochs, " and ", f.size(), " epochs");
  std::vector<EpochRecord> out(epochs);
  for (size_t e = 0; e < epochs; ++e) {
    out[e].epoch = folds[0][e].epoch;
    for (int i = 0; i < kFields; ++i) {
      std::vector<double> v;
      for (const auto& f : folds) {
        EpochRecord r = f[e];
        v.push_back(*field(r, i));
      }
      const MeanStd m = mean_std(v);
      *field(out[e], i) = want_std ? (m.n ? m.std : NAN) : m.mean;
    }
  }
  return out;
}

}  // namespace

std::vector<EpochRecord> mean_curves(const std::vector<std::vector<EpochRecord>>& folds) {
  return reduce_curves(folds, false);
}

std::vector<EpochRecord> std_curves(const std::vector<std::vector<EpochRecord>>& folds) {
  return reduce_curves(folds, true);
}

std::string crossval_csv(const std::vector<FoldRun>& runs) {
  std::ostringstream os;
  os << "k,fold";
  for (const std::string& c : metrics_csv_columns()) os << "," << c;
  os << "\n";
  for (const FoldRun& run : runs) {
    // metrics_csv writes the header and one line per epoch; prefix each line with k and fold.
    std::istringstream lines(metrics_csv(run.history));
    std::string line;
    std::getline(lines, line);  // header
    while (std::getline(lines, line)) os << run.k << "," << run.fold << "," << line << "\n";
  }
  return os.str();
}

namespace {
std::string one_line(const std::string& name) {
  std::string out;
  for (char ch : name) out += ch == '\n' ? std::string(" / ") : std::string(1, ch);
  return out;
}
}  // namespace

std::string render_bars_svg(const BarChart& c, int width, int height) {
  static const char* const colours[] = {"#D55E00", "#E69F00", "#0072B2", "#009E73", "#CC79A7", "#56B4E9"};
  const double left = 48, right = 12, top = 44, bottom = 52;
  const double pw = width - left - right, ph = height - top - bottom;
  const size_t groups = std::max<size_t>(c.categories.size(), 1), per = std::max<size_t>(c.series.size(), 1);
  const double gw = pw / double(groups), bw = gw * 0.8 / double(per);
  auto Y = [&](double v) { return top + (1 - std::clamp(v / c.y_max, 0.0, 1.0)) * ph; };
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(1);
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height << "\" viewBox=\"0 0 "
     << width << " " << height << "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  os << "<text x=\"" << width / 2 << "\" y=\"15\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">"
     << html_escape(c.title) << "</text>\n";
  // Legend across the top.
  double lx = left;
  for (size_t s = 0; s < c.series.size(); ++s) {
    os << "<rect x=\"" << lx << "\" y=\"24\" width=\"10\" height=\"10\" fill=\"" << colours[s % 6] << "\"/><text x=\""
       << lx + 14 << "\" y=\"33\">" << html_escape(c.series[s]) << "</text>\n";
    lx += 24 + 7.0 * double(c.series[s].size());
  }
  for (int t = 0; t <= 5; ++t) {
    const double v = c.y_max * t / 5.0;
    os << "<line x1=\"" << left << "\" x2=\"" << left + pw << "\" y1=\"" << Y(v) << "\" y2=\"" << Y(v)
       << "\" stroke=\"#e3e3e3\"/><text x=\"" << left - 4 << "\" y=\"" << Y(v) + 4 << "\" text-anchor=\"end\">"
       << format_number(v, c.y_max >= 5 ? 0 : 1) << "</text>\n";
  }
  os << "<text transform=\"translate(12," << top + ph / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
     << html_escape(c.y_label) << "</text>\n";
  for (size_t g = 0; g < c.categories.size(); ++g) {
    const double gx = left + gw * double(g) + gw * 0.1;
    for (size_t s = 0; s < c.series.size(); ++s) {
      const double v = g < c.values.size() && s < c.values[g].size() ? c.values[g][s] : NAN;
      if (!std::isfinite(v)) continue;
      const double x = gx + bw * double(s), y = Y(v);
      os << "<rect x=\"" << x << "\" y=\"" << y << "\" width=\"" << std::max(1.0, bw - 2) << "\" height=\""
         << top + ph - y << "\" fill=\"" << colours[s % 6] << "\"><title>" << html_escape(one_line(c.categories[g]))
         << ": " << html_escape(c.series[s]) << ": " << format_number(v, 3) << "</title></rect>\n";
      if (bw >= 22)
        os << "<text x=\"" << x + (bw - 2) / 2 << "\" y=\"" << y - 3 << "\" text-anchor=\"middle\" font-size=\"9\">"
           << format_number(v, 2) << "</text>\n";
    }
    // A category name may hold line breaks ("fbdnet\nbce-iou").
    std::istringstream parts(c.categories[g]);
    std::string part;
    for (int line = 0; std::getline(parts, part); ++line)
      os << "<text x=\"" << left + gw * (double(g) + 0.5) << "\" y=\"" << top + ph + 16 + 13 * line
         << "\" text-anchor=\"middle\">" << html_escape(part) << "</text>\n";
  }
  os << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << pw << "\" height=\"" << ph
     << "\" fill=\"none\" stroke=\"#888\"/>\n</svg>\n";
  return os.str();
}

}  // namespace fbd::app
