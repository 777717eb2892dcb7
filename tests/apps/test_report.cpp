// The HTML report and its SVG charts: structure, scaling, escaping, embedding.
#include <doctest/doctest.h>

#include <regex>

#include "apps/report/html_report.h"
#include "apps/train/progress.h"
#include "core/file_io.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;
using namespace fbd::app;
using test::contains;

namespace {
int count(const std::string& s, const std::string& part) {
  int n = 0;
  for (size_t i = s.find(part); i != std::string::npos; i = s.find(part, i + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("base64 matches RFC 4648's test vectors") {
  auto b = [](const std::string& s) { return base64(std::vector<uint8_t>(s.begin(), s.end())); };
  CHECK(b("") == "");
  CHECK(b("f") == "Zg==");
  CHECK(b("fo") == "Zm8=");
  CHECK(b("foo") == "Zm9v");
  CHECK(b("foob") == "Zm9vYg==");
  CHECK(b("fooba") == "Zm9vYmE=");
  CHECK(b("foobar") == "Zm9vYmFy");
}

TEST_CASE("text is escaped everywhere it reaches the HTML") {
  CHECK(html_escape("a<b & \"c\">") == "a&lt;b &amp; &quot;c&quot;&gt;");
  Report r("<script>alert(1)</script>");
  r.paragraph("x < y & z");
  r.table({"caption <1>", {"case", "Dice & co"}, {{"<img>", "0.5"}}, {}});
  const std::string html = r.html();
  CHECK(!contains(html, "<script>"));
  CHECK(contains(html, "x &lt; y &amp; z"));
  CHECK(contains(html, "<th>Dice &amp; co</th>"));
  CHECK(contains(html, "<td>&lt;img&gt;</td>"));
}

TEST_CASE("a chart draws one polyline per unbroken run of finite points, inside the plot") {
  Chart c{"loss",
          "epoch",
          "value",
          {{"train loss", {1, 2, 3, 4, 5}, {1.0, 0.5, NAN, 0.3, 0.2}, false},
           {"test loss", {1, 2, 3, 4, 5}, {1.1, 0.7, 0.6, 0.5, 0.45}, true}}};
  const std::string svg = render_svg(c, 400, 200);
  CHECK(count(svg, "<polyline") == 3);  // the NaN splits the train curve in two
  CHECK(contains(svg, "stroke-dasharray"));
  // Train and test of the same quantity share a colour.
  std::smatch m;
  std::vector<std::string> colours;
  std::string rest = svg;
  const std::regex stroke("<polyline fill=\"none\" stroke=\"(#[0-9A-F]{6})\"");
  while (std::regex_search(rest, m, stroke)) {
    colours.push_back(m[1]);
    rest = m.suffix();
  }
  REQUIRE(colours.size() == 3);
  CHECK(colours[0] == colours[2]);
  // Every plotted coordinate lies inside the viewBox.
  const std::regex point("(-?[0-9.]+),(-?[0-9.]+) ");
  for (std::sregex_iterator it(svg.begin(), svg.end(), point), end; it != end; ++it) {
    const double x = std::stod((*it)[1]), y = std::stod((*it)[2]);
    CHECK(x >= 0);
    CHECK(x <= 400);
    CHECK(y >= 0);
    CHECK(y <= 200);
  }
  CHECK(contains(render_svg(Chart{"empty", "x", "y", {}}), "no data"));
}

TEST_CASE("images are embedded, the report is written atomically and is complete") {
  test::TempDir dir;
  Report r("run");
  r.heading("Overlays");
  r.images({{"case 1", {0x89, 'P', 'N', 'G'}}});
  r.charts({Chart{"c", "x", "y", {{"a", {0, 1}, {0, 1}, false}}}});
  const std::string path = dir.file("report.html");
  r.write(path);
  const std::vector<char> bytes = read_file(path);
  const std::string html(bytes.begin(), bytes.end());
  CHECK(contains(html, "src=\"data:image/png;base64,iVBORw==\""));
  CHECK(contains(html, "<svg"));
  CHECK(contains(html, "</html>"));
}

TEST_CASE("numbers and durations are formatted for people") {
  CHECK(format_number(0.12345, 3) == "0.123");
  CHECK(format_number(NAN) == "n/a");
  CHECK(format_number(INFINITY) == "inf");
  CHECK(Progress::format_duration(42) == "42s");
  CHECK(Progress::format_duration(185) == "3m05s");
  CHECK(Progress::format_duration(3720) == "1h02m");
  CHECK(Progress::format_duration(NAN) == "?");
}
