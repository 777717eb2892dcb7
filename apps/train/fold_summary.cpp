#include "apps/train/fold_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "core/error.h"

namespace fbd::app {

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

namespace {

std::vector<EpochRecord> reduce_curves(const std::vector<std::vector<EpochRecord>>& folds, bool want_std) {
  FBD_CHECK(!folds.empty(), "mean_curves: no folds");
  const size_t epochs = folds[0].size();
  for (const auto& f : folds)
    FBD_CHECK(f.size() == epochs, "mean_curves: folds of ", epochs, " and ", f.size(), " epochs");
  std::vector<EpochRecord> out(epochs);
  for (size_t e = 0; e < epochs; ++e) {
    out[e].epoch = folds[0][e].epoch;
    for (const EpochField& field : kEpochFields) {
      std::vector<double> v;
      for (const auto& f : folds) v.push_back(f[e].*field.member);
      const MeanStd m = mean_std(v);
      out[e].*field.member = want_std ? (m.n ? m.std : NAN) : m.mean;
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

}  // namespace fbd::app
