# fbd loss: values against the golden fixtures, JSON, gradient output, and the error messages.
set(_lf ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/losses)
set(_bin --pred ${_lf}/bin_logits.npy --target ${_lf}/bin_target.npy --device cpu)
# Values: the golden values of tests/fixtures/losses/*_value.npy (PyTorch), to 6 digits.
add_test(NAME cli_loss_dice COMMAND fbd loss dice ${_bin})
set_tests_properties(cli_loss_dice PROPERTIES PASS_REGULAR_EXPRESSION "^dice 0\\.73818")
add_test(NAME cli_loss_fbd COMMAND fbd loss fbd ${_bin})
set_tests_properties(cli_loss_fbd PROPERTIES PASS_REGULAR_EXPRESSION "^fbd 0\\.91813")
add_test(NAME cli_loss_fbd_naive COMMAND fbd loss fbd-naive ${_bin})
set_tests_properties(cli_loss_fbd_naive PROPERTIES PASS_REGULAR_EXPRESSION "^fbd-naive 0\\.91813")
add_test(NAME cli_loss_bce_iou COMMAND fbd loss bce-iou ${_bin})
set_tests_properties(cli_loss_bce_iou PROPERTIES PASS_REGULAR_EXPRESSION "^bce-iou 2\\.42433")
add_test(NAME cli_loss_compactness COMMAND fbd loss compactness --pred ${_lf}/bin_logits.npy --device cpu)
set_tests_properties(cli_loss_compactness PROPERTIES PASS_REGULAR_EXPRESSION "^compactness 28\\.5153")
add_test(NAME cli_loss_float64_pred COMMAND fbd loss dice --pred ${_lf}/bin_logits_f64.npy --target ${_lf}/bin_target.npy)
set_tests_properties(cli_loss_float64_pred PROPERTIES PASS_REGULAR_EXPRESSION "^dice 0\\.73818")
add_test(NAME cli_loss_custom_weights COMMAND fbd loss fbd ${_bin} --w-dice 0.2 --w-focal 0.5 --w-boundary 0.3
         --squared --gamma 1 --alpha 0.5)
set_tests_properties(cli_loss_custom_weights PROPERTIES PASS_REGULAR_EXPRESSION "^fbd 0\\.")
add_test(NAME cli_loss_mc_json COMMAND fbd loss fbd-mc --pred ${_lf}/mc_logits.npy --target ${_lf}/mc_labels.npy --json)
set_tests_properties(cli_loss_mc_json PROPERTIES PASS_REGULAR_EXPRESSION "\"loss\":\"fbd-mc\".*\"value\":1\\.33822")
add_test(NAME cli_loss_grad_out COMMAND fbd loss focal ${_bin} --json --grad-out ${CMAKE_CURRENT_BINARY_DIR}/cli_focal_grad.npy)
set_tests_properties(cli_loss_grad_out PROPERTIES PASS_REGULAR_EXPRESSION "\"grad_out\":\".*cli_focal_grad\\.npy\"")
# Errors: one line, non-zero exit.
add_test(NAME cli_loss_bad_mask COMMAND fbd loss dice --pred ${_lf}/bin_logits.npy --target ${_lf}/bad_target.npy)
set_tests_properties(cli_loss_bad_mask PROPERTIES PASS_REGULAR_EXPRESSION
                     "fbd: error: dice_loss: target: mask values must be 0 or 1, found 0\\.5 at index 531")
add_test(NAME cli_loss_bad_mask_exit COMMAND fbd loss dice --pred ${_lf}/bin_logits.npy --target ${_lf}/bad_target.npy)
set_tests_properties(cli_loss_bad_mask_exit PROPERTIES WILL_FAIL ON)
add_test(NAME cli_loss_nan_logits COMMAND fbd loss fbd --pred ${_lf}/nan_logits.npy --target ${_lf}/bin_target.npy)
set_tests_properties(cli_loss_nan_logits PROPERTIES PASS_REGULAR_EXPRESSION
                     "fbd: error: focal_boundary_dice_loss: logits must be finite, found nan at index 4")
add_test(NAME cli_loss_shape_mismatch COMMAND fbd loss dice --pred ${_lf}/bin_logits.npy --target ${_lf}/mc_labels.npy)
set_tests_properties(cli_loss_shape_mismatch PROPERTIES PASS_REGULAR_EXPRESSION
                     "fbd: error: loss: pred \\[4, 1, 20, 24\\] and target \\[3, 14, 18\\] differ in shape")
add_test(NAME cli_loss_missing_target COMMAND fbd loss dice --pred ${_lf}/bin_logits.npy)
set_tests_properties(cli_loss_missing_target PROPERTIES PASS_REGULAR_EXPRESSION "fbd: error: loss: --target is required")
add_test(NAME cli_loss_unknown COMMAND fbd loss tversky --pred ${_lf}/bin_logits.npy)
set_tests_properties(cli_loss_unknown PROPERTIES WILL_FAIL ON)
add_test(NAME cli_loss_missing_file COMMAND fbd loss dice --pred ${_lf}/no_such_file.npy --target ${_lf}/bin_target.npy)
set_tests_properties(cli_loss_missing_file PROPERTIES PASS_REGULAR_EXPRESSION "fbd: error: .*no_such_file\\.npy")
# The registry as a user sees it: every loss listed, and a setting the loss does not read refused.
add_test(NAME cli_loss_list COMMAND fbd loss --list)
set_tests_properties(cli_loss_list PROPERTIES PASS_REGULAR_EXPRESSION
                     "dice +yes +binary_loss.*fbd +yes +binary_loss +mask, sdm.*bce-iou +yes +structure_loss.*fbd-mc +- +softmax_loss")
add_test(NAME cli_loss_list_json COMMAND fbd loss --list --json)
set_tests_properties(cli_loss_list_json PROPERTIES PASS_REGULAR_EXPRESSION
                     "^\\[\\{\"bytes_per_class_pixel\":0\\.0,\"bytes_per_pixel\":20\\.0,.*\"name\":\"dice\"")
add_test(NAME cli_loss_unused_setting COMMAND fbd loss dice ${_bin} --gamma 3)
set_tests_properties(cli_loss_unused_setting PROPERTIES PASS_REGULAR_EXPRESSION
                     "^fbd: error: loss: dice does not take --gamma \\(its settings: --squared --batch --eps-num --eps-den\\)")
add_test(NAME cli_loss_no_name COMMAND fbd loss --pred ${_lf}/bin_logits.npy)
set_tests_properties(cli_loss_no_name PROPERTIES PASS_REGULAR_EXPRESSION "^fbd: error: loss: name the loss \\(one of dice, focal,")
set_tests_properties(cli_loss_list cli_loss_list_json cli_loss_unused_setting cli_loss_no_name PROPERTIES LABELS cli)
set_tests_properties(cli_loss_dice cli_loss_fbd cli_loss_fbd_naive cli_loss_bce_iou cli_loss_compactness
                     cli_loss_float64_pred cli_loss_custom_weights cli_loss_mc_json cli_loss_grad_out cli_loss_bad_mask
                     cli_loss_bad_mask_exit cli_loss_nan_logits cli_loss_shape_mismatch cli_loss_missing_target
                     cli_loss_unknown cli_loss_missing_file PROPERTIES LABELS cli)
