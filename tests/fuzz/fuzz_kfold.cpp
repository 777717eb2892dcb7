// k-fold and split files (data/kfold.h load_kfold, and load_split against a small data set of
// patients P0 .. P3, each with one case).
#include "data/kfold.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

const fbd::data::Dataset& small_data_set() {
  static const fbd::data::Dataset ds = [] {
    fbd::data::Dataset d;
    d.layout = "manifest";
    // Names spelt out: GCC 12 at -O3 warns falsely (-Wrestrict) on "c" + std::to_string(i).
    const char* const ids[] = {"c0", "c1", "c2", "c3"};
    const char* const patients[] = {"P0", "P1", "P2", "P3"};
    for (int i = 0; i < 4; ++i) {
      fbd::data::CaseEntry c;
      c.id = ids[i];
      c.patient = patients[i];
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
