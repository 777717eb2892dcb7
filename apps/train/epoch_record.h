// One row of a training run's history: what every epoch measured, on the training quadrants
// and on the held-out patients. The fields are listed once, in kEpochFields; the JSON history
// in last.safetensors, metrics.csv, the cross-validation tables and the fold means all walk
// that list, so a new metric is one member and one row here.
#pragma once
#include <array>
#include <cmath>
#include <nlohmann/json_fwd.hpp>  // json.hpp costs every includer seconds to compile
#include <string>
#include <vector>

namespace fbd::app {

struct EpochRecord {
  int epoch = 0;  // 1-based
  double lr = 0;
  double train_loss = 0, train_dice = 0, train_miou = 0, train_accuracy = 0, train_hd = 0;
  double test_loss = 0, test_dice = 0, test_miou = 0, test_accuracy = 0, test_hd = 0;
  double seconds = 0;  // wall time of the epoch
  // Adversarial networks (pix2pix), means over the epoch's training batches; NaN for the others.
  // train_loss is then the generator's loss, train_g_adv + 100 train_g_rec.
  double train_g_adv = NAN;   // the generator's adversarial term: BCE of D(image, sigmoid(G)) against real
  double train_g_rec = NAN;   // the generator's reconstruction term (L1, or the registry loss replacing it)
  double train_d_loss = NAN;  // the discriminator's loss: (BCE real + BCE fake) / 2
};

// The numeric fields after `epoch`, in column order (metrics.csv, crossval.csv, JSON keys).
struct EpochField {
  const char* name;
  double EpochRecord::*member;
};
inline constexpr std::array<EpochField, 15> kEpochFields = {{
    {"lr", &EpochRecord::lr},
    {"train_loss", &EpochRecord::train_loss},
    {"train_dice", &EpochRecord::train_dice},
    {"train_miou", &EpochRecord::train_miou},
    {"train_accuracy", &EpochRecord::train_accuracy},
    {"train_hd", &EpochRecord::train_hd},
    {"test_loss", &EpochRecord::test_loss},
    {"test_dice", &EpochRecord::test_dice},
    {"test_miou", &EpochRecord::test_miou},
    {"test_accuracy", &EpochRecord::test_accuracy},
    {"test_hd", &EpochRecord::test_hd},
    {"seconds", &EpochRecord::seconds},
    {"train_g_adv", &EpochRecord::train_g_adv},
    {"train_g_rec", &EpochRecord::train_g_rec},
    {"train_d_loss", &EpochRecord::train_d_loss},
}};
// Every double member is in the table (a member added without a row fails to compile).
static_assert(sizeof(EpochRecord) == sizeof(double) * (1 + kEpochFields.size()),
              "EpochRecord has a field that kEpochFields does not list");

// JSON object with "epoch" and every field (NaN as null, read back as NaN; a field missing from
// an older history reads as NaN).
nlohmann::json epoch_record_json(const EpochRecord& r);
EpochRecord epoch_record_from_json(const nlohmann::json& j);

// "epoch,lr,train_loss,...,seconds"
std::vector<std::string> metrics_csv_columns();
// The header and one line per epoch (%.6g; NaN as "nan").
std::string metrics_csv(const std::vector<EpochRecord>& history);

}  // namespace fbd::app
