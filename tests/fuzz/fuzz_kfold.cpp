// k-fold and split files (data/kfold.h load_kfold, and load_split against a small data set of
// patients P0 .. P3, each with one case).
#include "data/kfold.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

const fbd::data::Dataset& small_data_set() {
  static const fbd::data::Dataset ds = [] {
    fbd::data::Dataset d;
    d.layout = "manifest";
    for (int i = 0; i < 4; ++i) {
      fbd::data::CaseEntry c;
      c.id = "c" + std::to_string(i);
      c.patient = "P" + std::to_string(i);
      c.label = i % 2 ? fbd::data::Label::Malignant : fbd::data::Label::Benign;
      d.cases.push_back(c);
    }
    return d;
  }();
  return ds;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fbd::fuzz::write_input(data, size, "folds.json");
  fbd::fuzz::run([&] {
    fbd::data::KFold kf = fbd::data::load_kfold(path);
    fbd::data::check_kfold_patients(kf, small_data_set(), path);
  });
  fbd::fuzz::run([&] { (void)fbd::data::load_split(path, small_data_set()); });
  return 0;
}
