// What fbd crossval and fbd compare share: list options, the output folder check, curves
// averaged over folds, mean +- std, the cross-validation CSV and the grouped bar chart.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "apps/cli/study_options.h"
#include "apps/nets/net_registry.h"
#include "apps/report/bar_chart.h"
#include "apps/report/html_report.h"
#include "apps/train/fold_summary.h"
#include "tests/test_util.h"
#include "tests/test_util_files.h"

using namespace fbd;
using namespace fbd::app;
using test::contains;
using test::error_of;

namespace {
EpochRecord rec(int epoch, double train_loss, double test_dice, double test_hd) {
  EpochRecord r;
  r.epoch = epoch;
  r.train_loss = train_loss;
  r.test_dice = test_dice;
  r.test_hd = test_hd;
  return r;
}
int count(const std::string& s, const std::string& part) {
  int n = 0;
  for (size_t i = s.find(part); i != std::string::npos; i = s.find(part, i + 1)) ++n;
  return n;
}
}  // namespace

TEST_CASE("--folds lists: numbers, at least 2, at most the patients, no repeats") {
  CHECK(parse_fold_list("3,6,9", 9) == std::vector<int>{3, 6, 9});
  CHECK(contains(error_of([] { parse_fold_list("3,six", 9); }), "--folds: 'six' is not a number"));
  CHECK(contains(error_of([] { parse_fold_list("3,1", 9); }), "--folds: k must be at least 2, got 1"));
  CHECK(contains(error_of([] { parse_fold_list("3,6,9", 8); }), "--folds: 9 folds need at least 9 patients"));
  CHECK(contains(error_of([] { parse_fold_list("3,6,3", 9); }), "--folds: 3 is listed twice"));
}

TEST_CASE("name lists: known names, no repeats, not empty") {
  CHECK(parse_name_list("unet,fbdnet", "--nets", net_names()) == std::vector<std::string>{"unet", "fbdnet"});
  CHECK(contains(error_of([] { parse_name_list("unet,vgg", "--nets", net_names()); }),
                 "--nets: unknown name 'vgg': expected one of fbdnet, unet, attunet"));
  CHECK(contains(error_of([] { parse_name_list("unet,unet", "--nets", net_names()); }),
                 "--nets: 'unet' is listed twice"));
  CHECK(contains(error_of([] { parse_name_list("", "--nets", net_names()); }), "--nets: empty list"));
}

TEST_CASE("a study folder must be new or empty") {
  test::TempDir dir;
  CHECK(error_of([&] { check_new_study_folder(dir.file("new"), "--out"); }).empty());
  CHECK(error_of([&] { check_new_study_folder(dir.path().string(), "--out"); }).empty());
  std::ofstream(dir.file("x.txt")) << "x";
  CHECK(contains(error_of([&] { check_new_study_folder(dir.path().string(), "--out"); }), "is not empty"));
  CHECK(contains(error_of([&] { check_new_study_folder(dir.file("x.txt"), "--out"); }), "is not a folder"));
}

TEST_CASE("mean and std skip NaN; curves are averaged epoch by epoch") {
  const MeanStd m = mean_std({1.0, 3.0, NAN});
  CHECK(m.n == 2);
  CHECK(m.mean == doctest::Approx(2.0));
  CHECK(m.std == doctest::Approx(1.0));
  CHECK(format_mean_std(m, 2) == "2.00 \xC2\xB1 1.00");
  CHECK(format_mean_std(mean_std({NAN}), 2) == "n/a");

  const std::vector<std::vector<EpochRecord>> folds = {{rec(1, 1.0, 0.2, 30), rec(2, 0.5, 0.4, NAN)},
                                                       {rec(1, 3.0, 0.4, 10), rec(2, 1.5, 0.6, 20)}};
  const std::vector<EpochRecord> mean = mean_curves(folds), sd = std_curves(folds);
  REQUIRE(mean.size() == 2);
  CHECK(mean[0].epoch == 1);
  CHECK(mean[1].epoch == 2);
  CHECK(mean[0].train_loss == doctest::Approx(2.0));
  CHECK(mean[1].test_dice == doctest::Approx(0.5));
  CHECK(mean[0].test_hd == doctest::Approx(20));
  CHECK(mean[1].test_hd == doctest::Approx(20));  // the NaN fold is left out
  CHECK(sd[0].train_loss == doctest::Approx(1.0));
  CHECK(sd[1].test_hd == doctest::Approx(0.0));
  CHECK(contains(error_of([&] { mean_curves({folds[0], {folds[1][0]}}); }), "folds of 2 and 1 epochs"));
}

TEST_CASE("the cross-validation CSV: one row per k, fold and epoch under one header") {
  FoldRun a{3, 1, {}, {}, {rec(1, 1.0, 0.2, 30), rec(2, 0.5, 0.4, NAN)}, 1.0};
  FoldRun b{3, 2, {}, {}, {rec(1, 2.0, 0.3, 25), rec(2, 0.7, 0.5, 12)}, 1.0};
  const std::string csv = crossval_csv({a, b});
  std::istringstream lines(csv);
  std::string header, line;
  std::getline(lines, header);
  CHECK(header.rfind("k,fold,epoch,lr,train_loss", 0) == 0);
  const int columns = count(header, ",") + 1;
  std::vector<std::string> rows;
  while (std::getline(lines, line)) {
    CHECK(count(line, ",") + 1 == columns);
    rows.push_back(line);
  }
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].rfind("3,1,1,", 0) == 0);
  CHECK(rows[3].rfind("3,2,2,", 0) == 0);
  CHECK(contains(rows[1], ",nan,"));  // the NaN HD stays visible
}

TEST_CASE("grouped bars: one bar per finite value, inside the plot, labels escaped, names on two lines") {
  BarChart c;
  c.title = "scores <1>";
  c.categories = {"fbdnet\nfbd", "unet\nfbd"};
  c.series = {"Dice", "precision", "specificity"};
  c.values = {{0.8, 0.9, 0.99}, {0.5, NAN, 1.2}};
  const std::string svg = render_bars_svg(c, 600, 300);
  CHECK(count(svg, "<rect x=") == 3 /*legend*/ + 5 /*bars*/ + 1 /*frame*/);
  CHECK(contains(svg, "scores &lt;1&gt;"));
  CHECK(contains(svg, ">fbdnet</text>"));
  CHECK(contains(svg, ">fbd</text>"));
  CHECK(contains(svg, "unet / fbd: specificity: 1.200"));  // the tooltip keeps the value, the bar is clamped
  // Every bar lies within the plot area (top 44, bottom 300 - 52).
  size_t at = 0;
  while ((at = svg.find("<rect x=", at)) != std::string::npos) {
    const size_t y = svg.find("y=\"", at) + 3;
    const double top = std::stod(svg.substr(y));
    CHECK(top >= 24.0);
    CHECK(top <= 248.0);
    ++at;
  }
}
