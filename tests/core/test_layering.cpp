// The house's layering, checked on the sources: every #include "FOLDER/..." of a file under
// one folder names a folder at the same level or below it (docs/DESIGN.md):
//
//   kernels <- core <- layers, losses, optim <- data <- apps
//
// and inside apps/ the rooms keep their own order: nets <- train <- report, classify <- cli.
// An include that runs back up (core reaching into layers, a network into the trainer) fails
// here with the file and line, before it can tangle the build.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#ifndef FBD_SOURCE_DIR
#error "FBD_SOURCE_DIR must be defined (tests/CMakeLists.txt)"
#endif

namespace {

namespace fs = std::filesystem;

// folder -> the folders its files may include (itself always).
const std::map<std::string, std::set<std::string>>& allowed() {
  static const std::map<std::string, std::set<std::string>> rules = {
      {"kernels", {"kernels"}},
      {"core", {"kernels", "core"}},
      {"layers", {"kernels", "core", "layers"}},
      {"losses", {"kernels", "core", "losses"}},
      {"optim", {"kernels", "core", "optim"}},
      {"data", {"kernels", "core", "data"}},
      {"apps/nets", {"kernels", "core", "layers", "losses", "optim", "data", "apps/nets"}},
      {"apps/train", {"kernels", "core", "layers", "losses", "optim", "data", "apps/nets", "apps/train"}},
      {"apps/report",
       {"kernels", "core", "layers", "losses", "optim", "data", "apps/nets", "apps/train", "apps/report"}},
      {"apps/classify",
       {"kernels", "core", "layers", "losses", "optim", "data", "apps/nets", "apps/train", "apps/classify"}},
      {"apps/cli",
       {"kernels", "core", "layers", "losses", "optim", "data", "apps/nets", "apps/train", "apps/report",
        "apps/classify", "apps/cli"}},
  };
  return rules;
}

// The folder an include path or a source path belongs to ("apps/train/x.h" -> "apps/train").
std::string folder_of(const std::string& path) {
  const size_t first = path.find('/');
  if (first == std::string::npos) return "";
  const std::string top = path.substr(0, first);
  if (top != "apps") return top;
  const size_t second = path.find('/', first + 1);
  return second == std::string::npos ? top : path.substr(0, second);
}

struct Include {
  std::string file;  // relative to the source root
  int line;
  std::string target;
};

std::vector<Include> project_includes(const fs::path& root) {
  std::vector<Include> out;
  for (const auto& [folder, _] : allowed()) {
    const fs::path dir = root / folder;
    if (!fs::is_directory(dir)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      const std::string ext = entry.path().extension().string();
      if (!entry.is_regular_file() || (ext != ".h" && ext != ".cpp" && ext != ".cu" && ext != ".cuh")) continue;
      const std::string rel = fs::relative(entry.path(), root).generic_string();
      if (folder_of(rel) != folder) continue;  // apps/ files belong to their room's rule
      std::ifstream in(entry.path());
      std::string text;
      for (int line = 1; std::getline(in, text); ++line) {
        const size_t at = text.find("#include \"");
        if (at == std::string::npos || text.find_first_not_of(" \t") != at) continue;
        const size_t begin = at + 10, end = text.find('"', begin);
        if (end != std::string::npos) out.push_back({rel, line, text.substr(begin, end - begin)});
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("layering: no include runs back up the house") {
  const fs::path root = FBD_SOURCE_DIR;
  const std::vector<Include> includes = project_includes(root);
  REQUIRE(includes.size() > 500);  // the walk found the sources
  int checked = 0;
  for (const Include& inc : includes) {
    const std::string target = folder_of(inc.target);
    if (target.empty() || !allowed().count(target)) continue;  // a system or third-party header
    ++checked;
    const std::string from = folder_of(inc.file);
    const bool ok = allowed().at(from).count(target) > 0;
    CHECK_MESSAGE(ok, inc.file << ":" << inc.line << " includes \"" << inc.target << "\": " << from
                               << " may not depend on " << target);
  }
  CHECK(checked > 500);
}

TEST_CASE("layering: the check itself catches an upward include") {
  CHECK(folder_of("apps/train/trainer.h") == "apps/train");
  CHECK(folder_of("core/tensor.h") == "core");
  CHECK(allowed().at("core").count(folder_of("layers/conv.h")) == 0);
  CHECK(allowed().at("apps/nets").count(folder_of("apps/train/trainer.h")) == 0);
  CHECK(allowed().at("apps/cli").count(folder_of("apps/nets/seg_net.h")) == 1);
}
