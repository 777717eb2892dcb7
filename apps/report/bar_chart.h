// Grouped bar charts as SVG for the reports (the paper's Fig. 9 and Fig. 18).
#pragma once
#include <string>
#include <vector>

namespace fbd::app {

// A grouped bar chart as SVG: one group per category (e.g. a model), one bar per series (e.g.
// Dice, precision, specificity), values in [0, y_max]; NaN bars are left out.
struct BarChart {
  std::string title, y_label;
  std::vector<std::string> categories, series;
  std::vector<std::vector<double>> values;  // [category][series]
  double y_max = 1.0;
};
std::string render_bars_svg(const BarChart& chart, int width = 720, int height = 300);

}  // namespace fbd::app
