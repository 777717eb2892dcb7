#include "apps/train/epoch_record.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fbd::app {

nlohmann::json epoch_record_json(const EpochRecord& r) {
  nlohmann::json j = {{"epoch", r.epoch}};
  for (const EpochField& f : kEpochFields) j[f.name] = r.*f.member;  // NaN is written as null
  return j;
}

EpochRecord epoch_record_from_json(const nlohmann::json& j) {
  EpochRecord r;
  r.epoch = j.at("epoch").get<int>();
  for (const EpochField& f : kEpochFields) {
    const auto v = j.find(f.name);
    r.*f.member = v == j.end() || v->is_null() ? NAN : v->get<double>();
  }
  return r;
}

std::vector<std::string> metrics_csv_columns() {
  std::vector<std::string> cols = {"epoch"};
  for (const EpochField& f : kEpochFields) cols.emplace_back(f.name);
  return cols;
}

std::string metrics_csv(const std::vector<EpochRecord>& history) {
  std::ostringstream os;
  const auto cols = metrics_csv_columns();
  for (size_t i = 0; i < cols.size(); ++i) os << (i ? "," : "") << cols[i];
  os << "\n";
  for (const EpochRecord& r : history) {
    os << r.epoch;
    for (const EpochField& f : kEpochFields) {
      const double x = r.*f.member;
      char buf[32];
      if (std::isnan(x))
        std::snprintf(buf, sizeof(buf), ",nan");
      else
        std::snprintf(buf, sizeof(buf), ",%.6g", x);
      os << buf;
    }
    os << "\n";
  }
  return os.str();
}

}  // namespace fbd::app
