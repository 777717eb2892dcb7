# fbd synth / check-data / augment-preview as a user runs them, including their errors.
# Outputs go under the build tree; the phantom made by cli_synth is shared through a ctest
# fixture by the cases that read it.
set(_d ${CMAKE_CURRENT_BINARY_DIR}/cli-data)
file(MAKE_DIRECTORY ${_d}/empty)
file(WRITE ${_d}/foreign/notes.txt "not a phantom\n")
set(_bad ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/data/bad_set)

add_test(NAME cli_synth COMMAND fbd synth --out ${_d}/phantom --patients 6 --slices-per-patient 3 --size 64 --seed 1)
set_tests_properties(cli_synth PROPERTIES FIXTURES_SETUP data_phantom
  PASS_REGULAR_EXPRESSION "18 slices of 64x64 from 6 patients \\(3 benign, 3 malignant\\)")

add_test(NAME cli_check_data_phantom
  COMMAND fbd check-data ${_d}/phantom --quiet --folds 3 --folds-out ${_d}/folds.json)
set_tests_properties(cli_check_data_phantom PROPERTIES FIXTURES_REQUIRED data_phantom
  PASS_REGULAR_EXPRESSION "cases: 18 \\(18 ok\\), patients: 6.*problems: 0 errors, 0 warnings.*k-fold: 3 patient-level folds \\(stratified by label\\)")

add_test(NAME cli_augment_preview COMMAND fbd augment-preview ${_d}/phantom --out ${_d}/preview.png --cases 3)
set_tests_properties(cli_augment_preview PROPERTIES FIXTURES_REQUIRED data_phantom
  PASS_REGULAR_EXPRESSION "3 cases x 9 rows")

add_test(NAME cli_augment_preview_bad_config
  COMMAND fbd augment-preview ${_d}/phantom --out ${_d}/x.png --config ${_d}/none.json)
set_tests_properties(cli_augment_preview_bad_config PROPERTIES FIXTURES_REQUIRED data_phantom
  PASS_REGULAR_EXPRESSION "fbd: error: .*none.json: cannot open")

# A data set with one problem of each kind: all are listed, and the exit status is 1.
add_test(NAME cli_check_data_problems COMMAND fbd check-data ${_bad})
set_tests_properties(cli_check_data_problems PROPERTIES PASS_REGULAR_EXPRESSION
  "d.png: no mask.*b.png: mask is not binary: values must be 0 and 1 or 0 and 255; found 3 distinct values: 0, 128, 255.*c.png: truncated PNG.*e.png: mask is 4x4 but its image is 8x8.*problems: 4 errors, 1 warnings.*fbd: error: .*bad_set: 4 problem\\(s\\) found")
add_test(NAME cli_check_data_problems_exit COMMAND fbd check-data ${_bad} --quiet)
set_tests_properties(cli_check_data_problems_exit PROPERTIES WILL_FAIL ON)

add_test(NAME cli_check_data_problems_no_folds
  COMMAND fbd check-data ${_bad} --quiet --folds 2 --folds-out ${_d}/bad_folds.json)
set_tests_properties(cli_check_data_problems_no_folds PROPERTIES PASS_REGULAR_EXPRESSION
  "fbd: error: .*bad_set: 4 problem\\(s\\) found \\(listed above\\); no k-fold split written")

add_test(NAME cli_check_data_empty COMMAND fbd check-data ${_d}/empty)
set_tests_properties(cli_check_data_empty PROPERTIES PASS_REGULAR_EXPRESSION
  "error: .*empty: no images found \\(expected manifest.csv, images/ \\+ masks/, NAME.png \\+ NAME_mask.png, or nnU-Net")
add_test(NAME cli_check_data_empty_exit COMMAND fbd check-data ${_d}/empty)
set_tests_properties(cli_check_data_empty_exit PROPERTIES WILL_FAIL ON)

add_test(NAME cli_check_data_missing COMMAND fbd check-data ${_d}/no-such-folder)
set_tests_properties(cli_check_data_missing PROPERTIES PASS_REGULAR_EXPRESSION "fbd: error: .*no-such-folder: no such folder")

add_test(NAME cli_synth_bad_size COMMAND fbd synth --out ${_d}/small --size 8)
set_tests_properties(cli_synth_bad_size PROPERTIES PASS_REGULAR_EXPRESSION
  "fbd: error: synth: --size must be in \\[32, 4096\\], got 8")
add_test(NAME cli_synth_foreign_folder COMMAND fbd synth --out ${_d}/foreign --patients 1 --slices-per-patient 1)
set_tests_properties(cli_synth_foreign_folder PROPERTIES PASS_REGULAR_EXPRESSION
  "fbd: error: .*foreign: folder is not empty and holds no earlier phantom")

set_tests_properties(cli_synth cli_check_data_phantom cli_augment_preview cli_augment_preview_bad_config
  cli_check_data_problems cli_check_data_problems_exit cli_check_data_problems_no_folds cli_check_data_empty cli_check_data_empty_exit
  cli_check_data_missing cli_synth_bad_size cli_synth_foreign_folder PROPERTIES LABELS cli)
