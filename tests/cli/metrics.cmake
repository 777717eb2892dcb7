# fbd edt and fbd metrics as a user runs them, and their one-line errors.
set(_m ${PROJECT_SOURCE_DIR}/tests/fixtures/metrics)
set(_out ${CMAKE_CURRENT_BINARY_DIR})

add_test(NAME cli_edt_signed COMMAND fbd edt ${_m}/sdm_mask.npy ${_out}/cli_edt_signed.npy)
set_tests_properties(cli_edt_signed PROPERTIES PASS_REGULAR_EXPRESSION
                     "wrote .*cli_edt_signed.npy: signed distance map of 6 image\\(s\\) of 33 x 47, spacing \\(1, 1\\)")
add_test(NAME cli_edt_unsigned_spacing
         COMMAND fbd edt ${_m}/edt_input.npy ${_out}/cli_edt_unsigned.npy --unsigned --spacing 2.5,0.7)
set_tests_properties(cli_edt_unsigned_spacing PROPERTIES PASS_REGULAR_EXPRESSION
                     "distance to the background of 5 image\\(s\\) of 40 x 52, spacing \\(2.5, 0.7\\)")
add_test(NAME cli_edt_bad_spacing COMMAND fbd edt ${_m}/sdm_mask.npy ${_out}/cli_edt_bad.npy --spacing 1,0)
set_tests_properties(cli_edt_bad_spacing PROPERTIES PASS_REGULAR_EXPRESSION
                     "fbd: error: edt: --spacing expects two positive numbers dy,dx, got '1,0'")
add_test(NAME cli_edt_nonbinary COMMAND fbd edt ${_m}/metrics_pred.npy ${_out}/cli_edt_nonbinary.npy)
set_tests_properties(cli_edt_nonbinary PROPERTIES PASS_REGULAR_EXPRESSION
                     "fbd: error: .*metrics_pred.npy: edt: mask values must be 0 or 1, found 0.1 at index 0")
add_test(NAME cli_edt_nonbinary_exit COMMAND fbd edt ${_m}/metrics_pred.npy ${_out}/cli_edt_nonbinary2.npy)
set_tests_properties(cli_edt_nonbinary_exit PROPERTIES WILL_FAIL ON)
add_test(NAME cli_edt_png COMMAND fbd edt ${_m}/mask.png ${_out}/cli_edt_png.npy)
set_tests_properties(cli_edt_png PROPERTIES PASS_REGULAR_EXPRESSION
                     "fbd: error: edt: .*mask.png: unsupported file type '.png'; edt reads and writes NumPy .npy arrays")
add_test(NAME cli_edt_truncated COMMAND fbd edt ${_m}/truncated.npy ${_out}/cli_edt_truncated.npy)
set_tests_properties(cli_edt_truncated PROPERTIES PASS_REGULAR_EXPRESSION
                     "fbd: error: .*truncated.npy: truncated: shape \\[2, 8, 8\\] needs 512 bytes of data")
add_test(NAME cli_edt_bad_shape COMMAND fbd edt ${PROJECT_SOURCE_DIR}/tests/fixtures/npy/f8_4.npy ${_out}/cli_edt_shape.npy)
set_tests_properties(cli_edt_bad_shape PROPERTIES PASS_REGULAR_EXPRESSION
                     "fbd: error: .*f8_4.npy: edt: expected a shape \\(H,W\\), \\(N,H,W\\) or \\(N,1,H,W\\), got \\[4\\]")

add_test(NAME cli_metrics_table COMMAND fbd metrics ${_m}/metrics_pred.npy ${_m}/metrics_target.npy)
set_tests_properties(cli_metrics_table PROPERTIES PASS_REGULAR_EXPRESSION
                     "12 image\\(s\\) of 48 x 64.*mean.*left.*2 image\\(s\\) with exactly one empty mask")
add_test(NAME cli_metrics_json COMMAND fbd metrics ${_m}/metrics_pred.npy ${_m}/metrics_target.npy --json --hd95 pooled)
set_tests_properties(cli_metrics_json PROPERTIES PASS_REGULAR_EXPRESSION
                     "\"band_width\": 2,.*\"hd95\": \"pooled\".*\"precision\": {[^}]*\"left_out\": 2")
add_test(NAME cli_metrics_spacing COMMAND fbd metrics ${_m}/metrics_pred.npy ${_m}/metrics_target.npy --spacing 1.5,0.8)
set_tests_properties(cli_metrics_spacing PROPERTIES PASS_REGULAR_EXPRESSION "spacing \\(1.5, 0.8\\)")
add_test(NAME cli_metrics_shape_mismatch COMMAND fbd metrics ${_m}/metrics_pred.npy ${_m}/sdm_mask.npy)
set_tests_properties(cli_metrics_shape_mismatch PROPERTIES PASS_REGULAR_EXPRESSION
                     "fbd: error: metrics: pred shape \\[12, 48, 64\\] and target shape \\[6, 33, 47\\] hold different images")
add_test(NAME cli_metrics_nonbinary_target COMMAND fbd metrics ${_m}/metrics_pred.npy ${_m}/metrics_pred.npy)
set_tests_properties(cli_metrics_nonbinary_target PROPERTIES PASS_REGULAR_EXPRESSION
                     "fbd: error: metrics: target: mask values must be 0 or 1")
add_test(NAME cli_metrics_png COMMAND fbd metrics ${_m}/pred.png ${_m}/metrics_target.npy)
set_tests_properties(cli_metrics_png PROPERTIES PASS_REGULAR_EXPRESSION
                     "fbd: error: metrics: .*pred.png: unsupported file type '.png'; fbd metrics reads NumPy .npy arrays")
add_test(NAME cli_metrics_png_exit COMMAND fbd metrics ${_m}/pred.png ${_m}/metrics_target.npy)
set_tests_properties(cli_metrics_png_exit PROPERTIES WILL_FAIL ON)
add_test(NAME cli_metrics_truncated COMMAND fbd metrics ${_m}/truncated.npy ${_m}/metrics_target.npy)
set_tests_properties(cli_metrics_truncated PROPERTIES PASS_REGULAR_EXPRESSION
                     "fbd: error: .*truncated.npy: truncated: shape \\[2, 8, 8\\] needs 512 bytes of data")
add_test(NAME cli_metrics_bad_hd95 COMMAND fbd metrics ${_m}/metrics_pred.npy ${_m}/metrics_target.npy --hd95 mean)
set_tests_properties(cli_metrics_bad_hd95 PROPERTIES PASS_REGULAR_EXPRESSION
                     "fbd: error: metrics: --hd95 must be max or pooled, got 'mean'")
add_test(NAME cli_metrics_bad_spacing COMMAND fbd metrics ${_m}/metrics_pred.npy ${_m}/metrics_target.npy --spacing x)
set_tests_properties(cli_metrics_bad_spacing PROPERTIES PASS_REGULAR_EXPRESSION
                     "fbd: error: metrics: --spacing expects two positive numbers dy,dx, got 'x'")

set_tests_properties(
  cli_edt_signed cli_edt_unsigned_spacing cli_edt_bad_spacing cli_edt_nonbinary cli_edt_nonbinary_exit cli_edt_png
  cli_edt_truncated cli_edt_bad_shape cli_metrics_table cli_metrics_json cli_metrics_spacing
  cli_metrics_shape_mismatch cli_metrics_nonbinary_target cli_metrics_png cli_metrics_png_exit cli_metrics_truncated
  cli_metrics_bad_hd95 cli_metrics_bad_spacing PROPERTIES LABELS cli)
