# The segmentation app: the end-to-end run and the errors users meet.
# Under the sanitizers 4 epochs instead of 40: every output is checked, learning is not.
if(FBD_SANITIZE)
  set(_integration_epochs 4)
else()
  set(_integration_epochs 40)
endif()
add_test(NAME cli_app_integration COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/app_integration.sh $<TARGET_FILE:fbd>
                                          ${CMAKE_CURRENT_BINARY_DIR}/app_integration ${_integration_epochs})
set_tests_properties(cli_app_integration PROPERTIES LABELS cli TIMEOUT 600)

# Bad input: one line, non-zero exit, no run folder left behind.
set(_tmp ${CMAKE_CURRENT_BINARY_DIR}/cli_app_tmp)
add_test(NAME cli_train_unknown_loss COMMAND fbd train --data ${PROJECT_SOURCE_DIR}/tests/fixtures/data --out ${_tmp}/x --loss iou)
set_tests_properties(cli_train_unknown_loss PROPERTIES PASS_REGULAR_EXPRESSION "fbd: error: unknown loss 'iou'")
add_test(NAME cli_train_unknown_net COMMAND fbd train --data ${PROJECT_SOURCE_DIR}/tests/fixtures/data --out ${_tmp}/x --net vgg)
set_tests_properties(cli_train_unknown_net PROPERTIES PASS_REGULAR_EXPRESSION "fbd: error: unknown network 'vgg'")
add_test(NAME cli_train_bad_size COMMAND fbd train --data ${PROJECT_SOURCE_DIR}/tests/fixtures/data --out ${_tmp}/x --size 50)
set_tests_properties(cli_train_bad_size PROPERTIES PASS_REGULAR_EXPRESSION "fbd: error: --size must be a multiple of 16")
add_test(NAME cli_train_missing_data COMMAND fbd train --data ${_tmp}/no-such-folder --out ${_tmp}/x)
set_tests_properties(cli_train_missing_data PROPERTIES PASS_REGULAR_EXPRESSION "fbd: error: .*no-such-folder")
add_test(NAME cli_train_no_half_written_folder
         COMMAND sh -c "! '$<TARGET_FILE:fbd>' train --data '${_tmp}/no-such-folder' --out '${_tmp}/y' 2>/dev/null && ! test -e '${_tmp}/y'")
add_test(NAME cli_eval_not_a_run COMMAND fbd eval --model ${PROJECT_SOURCE_DIR}/tests/fixtures)
set_tests_properties(cli_eval_not_a_run PROPERTIES PASS_REGULAR_EXPRESSION "fbd: error: .*not a run folder")
set_tests_properties(cli_train_unknown_loss cli_train_unknown_net cli_train_bad_size cli_train_missing_data
                     cli_train_no_half_written_folder cli_eval_not_a_run PROPERTIES LABELS cli)
