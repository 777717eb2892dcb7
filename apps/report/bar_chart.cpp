#include "apps/report/bar_chart.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "apps/report/html_report.h"

namespace fbd::app {

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
  os << svg_open(width, height, c.title);
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
