# fbd edt --3d as a user runs it (the exact 3-D transform of losses/edt3d.h), and its one-line errors.
# The 2-D cases are in tests/cli/metrics.cmake.
set(_m ${PROJECT_SOURCE_DIR}/tests/fixtures/metrics)
set(_out ${CMAKE_CURRENT_BINARY_DIR})

add_test(NAME cli_edt3d_unsigned_spacing
         COMMAND fbd edt ${_m}/edt3d_input.npy ${_out}/cli_edt3d_unsigned.npy --3d --unsigned --spacing 2,0.7,0.7)
set_tests_properties(cli_edt3d_unsigned_spacing PROPERTIES PASS_REGULAR_EXPRESSION
                     "wrote .*cli_edt3d_unsigned.npy: distance to the background of 2 volume\\(s\\) of 9 x 11 x 13, spacing \\(2, 0.7, 0.7\\), on cpu")
# A (N,H,W) array is one volume with --3d (the flag decides, not the rank); default spacing 1,1,1.
add_test(NAME cli_edt3d_signed_one_volume COMMAND fbd edt ${_m}/sdm_mask.npy ${_out}/cli_edt3d_signed.npy --3d)
set_tests_properties(cli_edt3d_signed_one_volume PROPERTIES PASS_REGULAR_EXPRESSION
                     "signed distance map of 1 volume\\(s\\) of 6 x 33 x 47, spacing \\(1, 1, 1\\)")
add_test(NAME cli_edt3d_bad_spacing
         COMMAND fbd edt ${_m}/edt3d_input.npy ${_out}/cli_edt3d_bad.npy --3d --spacing 1,1)
set_tests_properties(cli_edt3d_bad_spacing PROPERTIES PASS_REGULAR_EXPRESSION
                     "fbd: error: edt: --spacing expects three positive numbers dz,dy,dx with --3d, got '1,1'")
add_test(NAME cli_edt3d_bad_spacing_exit
         COMMAND fbd edt ${_m}/edt3d_input.npy ${_out}/cli_edt3d_bad2.npy --3d --spacing 2,0,1)
set_tests_properties(cli_edt3d_bad_spacing_exit PROPERTIES WILL_FAIL ON)
add_test(NAME cli_edt3d_bad_shape
         COMMAND fbd edt ${PROJECT_SOURCE_DIR}/tests/fixtures/npy/f8_4.npy ${_out}/cli_edt3d_shape.npy --3d)
set_tests_properties(cli_edt3d_bad_shape PROPERTIES PASS_REGULAR_EXPRESSION
                     "fbd: error: .*f8_4.npy: edt: expected a shape \\(D,H,W\\), \\(N,D,H,W\\) or \\(N,1,D,H,W\\), got \\[4\\]")
add_test(NAME cli_edt3d_nonbinary COMMAND fbd edt ${_m}/metrics_pred.npy ${_out}/cli_edt3d_nonbinary.npy --3d)
set_tests_properties(cli_edt3d_nonbinary PROPERTIES PASS_REGULAR_EXPRESSION
                     "fbd: error: .*metrics_pred.npy: edt: mask values must be 0 or 1, found 0.1 at index 0")

set_tests_properties(
  cli_edt3d_unsigned_spacing cli_edt3d_signed_one_volume cli_edt3d_bad_spacing cli_edt3d_bad_spacing_exit
  cli_edt3d_bad_shape cli_edt3d_nonbinary PROPERTIES LABELS cli)
