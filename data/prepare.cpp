#include "data/prepare.h"

#include <set>

#include "core/error.h"
#include "data/quadrants.h"

namespace fbd::data {

std::vector<Sample> prepare_samples(const Dataset& ds, const std::vector<std::string>& ids, const PrepareOptions& opt) {
  const std::set<std::string> wanted(ids.begin(), ids.end());
  for (const std::string& id : wanted) FBD_CHECK(ds.find(id) != nullptr, ds.root, ": no case with id '", id, "'");
  std::vector<Sample> out;
  for (const CaseEntry& c : ds.cases) {
    if (!wanted.empty() && !wanted.count(c.id)) continue;
    Sample s = load_case(c, opt.edge_width);
    if (!opt.quadrants) {
      out.push_back(std::move(s));
      continue;
    }
    for (Sample& q : quadrant_samples(s, quadrant_layout(s.image), opt.keep_all_quadrants)) out.push_back(std::move(q));
  }
  return out;
}

}  // namespace fbd::data
