#include "apps/report/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "core/file_io.h"

namespace fbd::app {

namespace {

// Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
const char* const kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"};

// Ticks at 1, 2 or 5 times a power of ten covering [lo, hi] with about `target` steps.
std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (raw <= step) break;
  }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push_back(t);
  return ticks;
}

std::string tick_label(double v, double step) {
  char buf[32];
  const int decimals = step >= 1 ? 0 : std::min(6, int(std::ceil(-std::log10(step))));
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, std::fabs(v) < step * 1e-6 ? 0.0 : v);
  return buf;
}

// The part of a series label after "train " / "test ", so paired curves share a colour.
std::string colour_key(const std::string& label) {
  for (const char* prefix : {"train ", "test ", "val "})
    if (label.rfind(prefix, 0) == 0) return label.substr(std::string(prefix).size());
  return label;
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string base64(const std::vector<uint8_t>& bytes) {
  static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const uint32_t b0 = bytes[i], b1 = i + 1 < bytes.size() ? bytes[i + 1] : 0,
                   b2 = i + 2 < bytes.size() ? bytes[i + 2] : 0;
    const uint32_t v = (b0 << 16) | (b1 << 8) | b2;
    out += table[(v >> 18) & 63];
    out += table[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? table[(v >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? table[v & 63] : '=';
  }
  return out;
}

std::string format_number(double v, int digits) {
  if (std::isnan(v)) return "n/a";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string format_mean_std(const MeanStd& m, int digits) {
  if (m.n == 0) return "n/a";
  return format_number(m.mean, digits) + " \xC2\xB1 " + format_number(m.std, digits);
}

std::string svg_open(int width, int height, const std::string& title) {
  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height << "\" viewBox=\"0 0 "
     << width << " " << height << "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  os << "<text x=\"" << width / 2 << "\" y=\"15\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">"
     << html_escape(title) << "</text>\n";
  return os.str();
}

std::string render_svg(const Chart& chart, int width, int height) {
  const double left = 52, right = 12, top = 26, bottom = 40;
  const double pw = width - left - right, ph = height - top - bottom;
  double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
  for (const Series& s : chart.series) {
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      xlo = std::min(xlo, s.x[i]), xhi = std::max(xhi, s.x[i]);
      ylo = std::min(ylo, s.y[i]), yhi = std::max(yhi, s.y[i]);
    }
  }
  const bool empty = !(xlo <= xhi);
  if (empty) xlo = 0, xhi = 1, ylo = 0, yhi = 1;
  if (xhi == xlo) xhi = xlo + 1;
  if (yhi == ylo) {
    const double pad = std::fabs(ylo) > 0 ? std::fabs(ylo) * 0.1 : 1.0;
    ylo -= pad, yhi += pad;
  }
  const std::vector<double> yt = nice_ticks(ylo, yhi, 5), xt = nice_ticks(xlo, xhi, 6);
  ylo = std::min(ylo, yt.front()), yhi = std::max(yhi, yt.back());
  auto X = [&](double x) { return left + (x - xlo) / (xhi - xlo) * pw; };
  auto Y = [&](double y) { return top + (1 - (y - ylo) / (yhi - ylo)) * ph; };

  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(1);
  os << svg_open(width, height, chart.title);
  const double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1, xstep = xt.size() > 1 ? xt[1] - xt[0] : 1;
  for (double t : yt) {
    os << "<line x1=\"" << left << "\" x2=\"" << left + pw << "\" y1=\"" << Y(t) << "\" y2=\"" << Y(t)
       << "\" stroke=\"#e3e3e3\"/>";
    os << "<text x=\"" << left - 4 << "\" y=\"" << Y(t) + 4 << "\" text-anchor=\"end\">" << tick_label(t, ystep)
       << "</text>\n";
  }
  for (double t : xt) {
    if (t < xlo - 1e-9 || t > xhi + 1e-9) continue;
    os << "<text x=\"" << X(t) << "\" y=\"" << top + ph + 14 << "\" text-anchor=\"middle\">" << tick_label(t, xstep)
       << "</text>";
  }
  os << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << pw << "\" height=\"" << ph
     << "\" fill=\"none\" stroke=\"#888\"/>\n";
  os << "<text x=\"" << left + pw / 2 << "\" y=\"" << height - 6 << "\" text-anchor=\"middle\">"
     << html_escape(chart.x_label) << "</text>\n";
  os << "<text transform=\"translate(12," << top + ph / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
     << html_escape(chart.y_label) << "</text>\n";
  if (empty) {
    os << "<text x=\"" << left + pw / 2 << "\" y=\"" << top + ph / 2
       << "\" text-anchor=\"middle\" fill=\"#888\">no data</text>\n";
  }

  // The legend goes in the corner of the plot that covers the fewest data points.
  const double legend_w = 110, legend_h = 13.0 * double(chart.series.size()) + 4;
  double best_lx = left + pw - legend_w, best_ly = top;
  int best_hits = -1;
  for (const auto& [lx, ly] :
       {std::pair{left + pw - legend_w, top}, std::pair{left + pw - legend_w, top + ph - legend_h},
        std::pair{left + 4, top}, std::pair{left + 4, top + ph - legend_h}}) {
    int hits = 0;  // points along the drawn lines (10 per segment) that fall under the legend
    for (const Series& s : chart.series)
      for (size_t i = 0; i + 1 < std::min(s.x.size(), s.y.size()); ++i) {
        if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || !std::isfinite(s.x[i + 1]) ||
            !std::isfinite(s.y[i + 1]))
          continue;
        for (int k = 0; k <= 10; ++k) {
          const double px = X(s.x[i] + (s.x[i + 1] - s.x[i]) * k / 10.0),
                       py = Y(s.y[i] + (s.y[i + 1] - s.y[i]) * k / 10.0);
          hits += px >= lx - 6 && px <= lx + legend_w + 6 && py >= ly - 6 && py <= ly + legend_h + 6;
        }
      }
    if (best_hits < 0 || hits < best_hits) best_hits = hits, best_lx = lx, best_ly = ly;
  }

  std::vector<std::string> keys;
  int legend_row = 0;
  for (const Series& s : chart.series) {
    const std::string key = colour_key(s.label);
    auto it = std::find(keys.begin(), keys.end(), key);
    if (it == keys.end()) it = keys.insert(keys.end(), key);
    const char* colour = kPalette[size_t(it - keys.begin()) % (sizeof(kPalette) / sizeof(kPalette[0]))];
    const std::string dash = s.dashed ? " stroke-dasharray=\"5,3\"" : "";
    std::string points;
    auto flush = [&] {
      if (points.empty()) return;
      os << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"1.8\"" << dash << " points=\"" << points
         << "\"/>\n";
      points.clear();
    };
    const size_t n = std::min(s.x.size(), s.y.size());
    for (size_t i = 0; i < n; ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
        flush();
        continue;
      }
      char buf[48];
      std::snprintf(buf, sizeof(buf), "%.1f,%.1f ", X(s.x[i]), Y(s.y[i]));
      points += buf;
      if (n == 1) {  // a single point: show it
        os << "<circle cx=\"" << X(s.x[i]) << "\" cy=\"" << Y(s.y[i]) << "\" r=\"2.5\" fill=\"" << colour << "\"/>";
      }
    }
    flush();
    const double ly = best_ly + 12 + 13 * legend_row++;
    os << "<line x1=\"" << best_lx + 4 << "\" x2=\"" << best_lx + 20 << "\" y1=\"" << ly - 3 << "\" y2=\"" << ly - 3
       << "\" stroke=\"" << colour << "\" stroke-width=\"2\"" << dash << "/><text x=\"" << best_lx + 24 << "\" y=\""
       << ly << "\">" << html_escape(s.label) << "</text>\n";
  }
  os << "</svg>\n";
  return os.str();
}

Report::Report(std::string title) : title_(std::move(title)) {}

void Report::heading(const std::string& text) { body_ += "<h2>" + html_escape(text) + "</h2>\n"; }

void Report::paragraph(const std::string& text) { body_ += "<p>" + html_escape(text) + "</p>\n"; }

void Report::charts(const std::vector<Chart>& charts) {
  body_ += "<div class=\"row\">\n";
  for (const Chart& c : charts) body_ += "<figure>" + render_svg(c) + "</figure>\n";
  body_ += "</div>\n";
}

void Report::figures(const std::vector<std::string>& svg_markup) {
  body_ += "<div class=\"row\">\n";
  for (const std::string& svg : svg_markup) body_ += "<figure>" + svg + "</figure>\n";
  body_ += "</div>\n";
}

void Report::table(const Table& t) {
  std::string h = "<table>\n";
  if (!t.caption.empty()) h += "<caption>" + html_escape(t.caption) + "</caption>\n";
  h += "<thead><tr>";
  for (const std::string& c : t.columns) h += "<th>" + html_escape(c) + "</th>";
  h += "</tr></thead>\n<tbody>\n";
  for (const auto& row : t.rows) {
    h += "<tr>";
    for (const std::string& cell : row) h += "<td>" + html_escape(cell) + "</td>";
    h += "</tr>\n";
  }
  h += "</tbody>\n";
  if (!t.footer.empty()) {
    h += "<tfoot><tr>";
    for (const std::string& cell : t.footer) h += "<td>" + html_escape(cell) + "</td>";
    h += "</tr></tfoot>\n";
  }
  body_ += h + "</table>\n";
}

void Report::images(const std::vector<Image>& images, int width_px) {
  body_ += "<div class=\"row\">\n";
  for (const Image& im : images) {
    body_ += "<figure><img width=\"" + std::to_string(width_px) + "\" src=\"data:image/png;base64," + base64(im.png) +
             "\" alt=\"" + html_escape(im.caption) + "\"><figcaption>" + html_escape(im.caption) +
             "</figcaption></figure>\n";
  }
  body_ += "</div>\n";
}

std::string Report::html() const {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + html_escape(title_) +
         "</title>\n<style>\n"
         "body{font-family:sans-serif;max-width:1200px;margin:24px auto;padding:0 16px;color:#222}\n"
         "h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}\n"
         ".row{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0}figcaption{font-size:12px;color:#555;"
         "max-width:200px}\n"
         "img{image-rendering:pixelated;border:1px solid #ccc}\n"
         "table{border-collapse:collapse;font-size:13px;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;"
         "text-align:right}th{background:#f3f3f3}caption{text-align:left;font-weight:bold;padding:4px 0}"
         "tfoot td{font-weight:bold;background:#fafafa}\n"
         "</style>\n</head>\n<body>\n<h1>" +
         html_escape(title_) + "</h1>\n" + body_ + "</body>\n</html>\n";
}

void Report::write(const std::string& path) const {
  const std::string text = html();
  write_file_atomic(path, [&](std::ostream& os) { os << text; });
}

}  // namespace fbd::app
