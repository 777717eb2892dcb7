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
