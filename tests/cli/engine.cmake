# fbd info, a quick fbd demo, and the device errors. Each case: a command, and what must hold of it.
add_test(NAME cli_info COMMAND fbd info)
# Under the sanitizers the demo is smaller still (it took 205 s of CI's 30 minutes at 2 epochs and 6
# patients): every stage runs either way.
if(FBD_SANITIZE)
  set(_demo_quick_size --epochs 1 --patients 4)
else()
  set(_demo_quick_size --epochs 2 --patients 6)
endif()
add_test(NAME cli_demo_quick COMMAND fbd demo --device cpu --out ${CMAKE_CURRENT_BINARY_DIR}/demo_quick --force
         ${_demo_quick_size} --quiet)
set_tests_properties(cli_demo_quick PROPERTIES PASS_REGULAR_EXPRESSION "fbd demo: held-out Dice [0-9.]+")
add_test(NAME cli_bad_device COMMAND fbd demo --device gpu7)
set_tests_properties(cli_bad_device PROPERTIES WILL_FAIL ON)
add_test(NAME cli_bad_device_message COMMAND fbd demo --device gpu7)
set_tests_properties(cli_bad_device_message PROPERTIES PASS_REGULAR_EXPRESSION "fbd: error: unknown device 'gpu7'")
set_tests_properties(cli_info cli_demo_quick cli_bad_device cli_bad_device_message PROPERTIES LABELS cli)
