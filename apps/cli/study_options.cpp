#include "apps/cli/study_options.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include "apps/train/run_config.h"
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
  list += " (or all)";
  if (text == "all") return allowed;
  while (std::getline(ss, item, ',')) {
    FBD_CHECK(item != "all", what, ": 'all' means every name and stands alone, got '", text, "'");
    FBD_CHECK(std::find(allowed.begin(), allowed.end(), item) != allowed.end(), what, ": unknown name '", item,
              "': expected one of ", list);
    FBD_CHECK(std::find(out.begin(), out.end(), item) == out.end(), what, ": '", item, "' is listed twice");
    out.push_back(item);
  }
  FBD_CHECK(!out.empty(), what, ": empty list (expected names from ", list, ")");
  return out;
}

void check_new_study_folder(const std::string& dir, const std::string& what) {
  namespace fs = std::filesystem;
  if (!fs::exists(dir)) return;
  FBD_CHECK(fs::is_directory(dir), what, ": ", dir, " exists and is not a folder");
  FBD_CHECK(fs::is_empty(dir), what, ": ", dir, " is not empty (choose a new folder)");
}

}  // namespace fbd::app
