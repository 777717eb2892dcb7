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

add_test(NAME cli_train_bad_channels
         COMMAND fbd train --data ${PROJECT_SOURCE_DIR}/tests/fixtures/data --out ${_vtmp}/ch --channels 1+0)
set_tests_properties(cli_train_bad_channels PROPERTIES LABELS cli PASS_REGULAR_EXPRESSION
  "fbd: error: --channels 1\\+0: '1\\+0' is not a channel: expected all, or a list of N")
# 2-D images are one grey channel (the PNG phantom of data.cmake).
add_test(NAME cli_check_data_channels_on_images
         COMMAND fbd check-data ${CMAKE_CURRENT_BINARY_DIR}/cli-data/phantom --quiet --channels 1-0)
set_tests_properties(cli_check_data_channels_on_images PROPERTIES LABELS cli FIXTURES_REQUIRED data_phantom
  PASS_REGULAR_EXPRESSION "error: .*phantom: --channels 1-0 needs channel 1, but the image has 1 channel \\(0\\)")
add_test(NAME cli_synth_phases_png COMMAND fbd synth --out ${_vtmp}/ph --phases 2)
set_tests_properties(cli_synth_phases_png PROPERTIES LABELS cli PASS_REGULAR_EXPRESSION
  "fbd: error: synth: --phases 2 needs --format nifti")
