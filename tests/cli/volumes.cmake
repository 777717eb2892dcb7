# Volumes (NIfTI, nnU-Net layout) through every command a user runs on them.
add_test(NAME cli_volume_integration COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/volume_integration.sh $<TARGET_FILE:fbd>
                                             ${CMAKE_CURRENT_BINARY_DIR}/volume_integration
                                             ${CMAKE_CURRENT_SOURCE_DIR}/fixtures)
set_tests_properties(cli_volume_integration PROPERTIES LABELS cli TIMEOUT 600)

set(_vtmp ${CMAKE_CURRENT_BINARY_DIR}/cli_volume_tmp)
add_test(NAME cli_synth_bad_format COMMAND fbd synth --out ${_vtmp}/x --format dicom)
set_tests_properties(cli_synth_bad_format PROPERTIES PASS_REGULAR_EXPRESSION "fbd: error: synth: --format must be png or nifti")
add_test(NAME cli_synth_bad_spacing COMMAND fbd synth --out ${_vtmp}/x --format nifti --spacing 0.7)
set_tests_properties(cli_synth_bad_spacing PROPERTIES PASS_REGULAR_EXPRESSION
  "fbd: error: synth: --spacing must be two numbers IN_PLANE,BETWEEN_SLICES in mm, got '0.7'")
set_tests_properties(cli_synth_bad_format cli_synth_bad_spacing PROPERTIES LABELS cli)

add_test(NAME cli_check_data_bad_slice_axis COMMAND fbd check-data ${PROJECT_SOURCE_DIR}/tests/fixtures/data --slice-axis z)
set_tests_properties(cli_check_data_bad_slice_axis PROPERTIES LABELS cli PASS_REGULAR_EXPRESSION
  "fbd: error: --slice-axis must be auto, i, j or k \\(0, 1 or 2\\), got 'z'")
add_test(NAME cli_train_bad_mask_label
         COMMAND fbd train --data ${PROJECT_SOURCE_DIR}/tests/fixtures/data --out ${_vtmp}/ml --mask-label -2)
set_tests_properties(cli_train_bad_mask_label PROPERTIES LABELS cli PASS_REGULAR_EXPRESSION
  "fbd: error: --mask-label must be 0 \\(masks of 0 and 1\\) or a positive label, got -2")
