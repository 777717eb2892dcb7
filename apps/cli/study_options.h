// The list options and output folder of `fbd crossval` and `fbd compare`, checked before
// anything runs: --folds, --nets / --losses name lists, a new or empty --out.
#pragma once
#include <string>
#include <vector>

namespace fbd::app {

// "3,6,9" -> {3, 6, 9}: each k at least 2 and at most `patients` (so every fold has a test
// patient), no repeats; one-line errors naming --folds.
std::vector<int> parse_fold_list(const std::string& text, size_t patients);

// "fbdnet,unet" -> {"fbdnet", "unet"}: every name in `allowed`, no repeats, not empty; "all" ->
// `allowed` (so a network or loss added to its registry joins `--nets all` by itself).
std::vector<std::string> parse_name_list(const std::string& text, const std::string& what,
                                         const std::vector<std::string>& allowed);

// An output folder for a study: new, or an existing empty folder (never mixed with other files).
void check_new_study_folder(const std::string& dir, const std::string& what);

}  // namespace fbd::app
