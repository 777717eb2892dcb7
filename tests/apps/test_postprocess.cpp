// Post-processing of predicted masks on small hand-drawn cases.
#include <doctest/doctest.h>

#include <string>

#include "apps/postprocess.h"
#include "tests/test_util.h"

using namespace fbd::app;

namespace {
// Rows of '#' (foreground) and '.' (background).
std::vector<uint8_t> draw(const std::vector<std::string>& rows) {
  std::vector<uint8_t> m;
  for (const auto& r : rows)
    for (char c : r) m.push_back(c == '#');
  return m;
}
}  // namespace

TEST_CASE("components: 8-connectivity joins diagonals, 4 does not") {
  const auto m = draw({"#...#",
                       ".#..#",
                       "....."});
  std::vector<int32_t> labels;
  CHECK(label_components(m.data(), 3, 5, 8, labels) == 2);
  CHECK(label_components(m.data(), 3, 5, 4, labels) == 3);
  CHECK(labels[0] != labels[6]);
  CHECK(fbd::test::contains(fbd::test::error_of([&] { label_components(m.data(), 3, 5, 6, labels); }), "4 or 8"));
}

TEST_CASE("keep the largest component, drop small ones") {
  auto m = draw({"##...#",
                 "##....",
                 "....##"});
  keep_largest_component(m.data(), 3, 6);
  CHECK(m == draw({"##....",
                   "##....",
                   "......"}));
  auto n = draw({"##...#",
                 "##....",
                 "....##"});
  remove_small_components(n.data(), 3, 6, 2);
  CHECK(n == draw({"##....",
                   "##....",
                   "....##"}));
  auto empty = draw({"...", "..."});
  keep_largest_component(empty.data(), 2, 3);
  CHECK(empty == draw({"...", "..."}));
}

TEST_CASE("fill holes, but not background that reaches the border") {
  auto m = draw({"#####.",
                 "#...#.",
                 "#.#.#.",
                 "#####.",
                 "..#..."});
  fill_holes(m.data(), 5, 6);
  CHECK(m == draw({"#####.",
                   "#####.",
                   "#####.",
                   "#####.",
                   "..#..."}));
  // A hole that leaks diagonally is still a hole under 4-connected background.
  auto d = draw({"###.",
                 "#.##",
                 "###."});
  fill_holes(d.data(), 3, 4);
  CHECK(d == draw({"###.",
                   "####",
                   "###."}));
}
