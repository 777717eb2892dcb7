// Run reports: one self-contained HTML file (inline CSS, SVG charts, PNG images embedded as
// base64) that any browser opens without a server or network.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "apps/train/fold_summary.h"

namespace fbd::app {

struct Series {
  std::string label;
  std::vector<double> x, y;  // NaN y values break the line
  bool dashed = false;       // e.g. test curves beside solid train curves
};

struct Chart {
  std::string title, x_label, y_label;
  std::vector<Series> series;
};

// An SVG line chart with axes, 1-2-5 ticks, a legend, and one colour per series (from a
// colour-blind-safe palette, dashed and solid pairs sharing a colour when labels say
// "train X" / "test X").
std::string render_svg(const Chart& chart, int width = 460, int height = 280);

struct Table {
  std::string caption;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> footer;  // e.g. the means; empty for none
};

struct Image {
  std::string caption;
  std::vector<uint8_t> png;  // encoded PNG bytes
};

class Report {
 public:
  explicit Report(std::string title);
  void heading(const std::string& text);
  void paragraph(const std::string& text);
  void charts(const std::vector<Chart>& charts);  // side by side, wrapping
  // Figures made by this program (SVG markup, e.g. render_bars_svg), side by side; not escaped.
  void figures(const std::vector<std::string>& svg_markup);
  void table(const Table& table);
  void images(const std::vector<Image>& images, int width_px = 192);  // a wrapping gallery
  std::string html() const;
  void write(const std::string& path) const;  // atomically

 private:
  std::string title_;
  std::string body_;
};

std::string html_escape(const std::string& text);
std::string base64(const std::vector<uint8_t>& bytes);
// Fixed-point with `digits` decimals; "n/a" for NaN, "inf" for infinities.
std::string format_number(double v, int digits = 3);
// The opening <svg> tag of a chart (sans-serif, 11 px) and its bold title, centred on top.
std::string svg_open(int width, int height, const std::string& title);
// "0.812 ± 0.034" (mean ± std of folds), "n/a" when no fold had a value.
std::string format_mean_std(const MeanStd& m, int digits = 3);

}  // namespace fbd::app
