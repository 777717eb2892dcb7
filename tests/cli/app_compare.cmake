# fbd crossval / compare / classify as a user runs them: tiny runs that write every output, and
# the errors (one line on stderr, a non-zero exit, no output folder or file left behind). Each
# case runs through helpers/run_case.cmake; outputs go under the build tree.
set(_a ${CMAKE_CURRENT_BINARY_DIR}/cli-app)
file(MAKE_DIRECTORY ${_a}/busy)
file(WRITE ${_a}/busy/notes.txt "someone else's file\n")
set(_app_run_case ${CMAKE_CURRENT_SOURCE_DIR}/cli/helpers/run_case.cmake)
set(_tiny --width 4 --size 32 --device cpu --workers 0)

# fbd_app_cli_case(NAME [FAIL] CMD args... [REGEX re] [CLEAN paths] [ABSENT paths] [PRESENT paths]
#                  [MATCH file regex] [REQUIRES fixtures] [SETUP fixture])
function(fbd_app_cli_case name)
  cmake_parse_arguments(A "FAIL" "REGEX;SETUP" "CMD;CLEAN;ABSENT;PRESENT;MATCH;REQUIRES" ${ARGN})
  list(JOIN A_CMD "|" cmd)
  list(JOIN A_CLEAN "|" clean)
  list(JOIN A_ABSENT "|" absent)
  list(JOIN A_PRESENT "|" present)
  set(args -DCMD=$<TARGET_FILE:fbd>|${cmd} -DREGEX=${A_REGEX} -DCLEAN=${clean} -DABSENT=${absent}
           -DPRESENT=${present})
  if(A_FAIL)
    list(APPEND args -DFAIL=ON)
  endif()
  if(A_MATCH)
    list(GET A_MATCH 0 match_file)
    list(GET A_MATCH 1 match_regex)
    list(APPEND args -DMATCH_FILE=${match_file} -DMATCH_REGEX=${match_regex})
  endif()
  add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} ${args} -P ${_app_run_case})
  set_tests_properties(${name} PROPERTIES LABELS cli TIMEOUT 300)
  if(A_REQUIRES)
    set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED "${A_REQUIRES}")
  endif()
  if(A_SETUP)
    set_tests_properties(${name} PROPERTIES FIXTURES_SETUP ${A_SETUP})
  endif()
endfunction()

# ---- data and a trained run ----
fbd_app_cli_case(cli_app_synth SETUP app_phantom
  CMD synth --out ${_a}/phantom --patients 6 --slices-per-patient 3 --size 64 --seed 1
  REGEX "6 patients \\(3 benign, 3 malignant\\)")
fbd_app_cli_case(cli_app_synth_one_malignant SETUP app_one_malignant
  CMD synth --out ${_a}/one_malignant --patients 4 --slices-per-patient 1 --size 64 --malignant-fraction 0.25
  REGEX "\\(3 benign, 1 malignant\\)")
fbd_app_cli_case(cli_app_train SETUP app_run REQUIRES app_phantom
  CMD train --data ${_a}/phantom --out ${_a}/run --epochs 2 ${_tiny}
  CLEAN ${_a}/run PRESENT ${_a}/run/last.safetensors)

# ---- fbd crossval ----
fbd_app_cli_case(cli_crossval_tiny REQUIRES app_phantom
  CMD crossval --data ${_a}/phantom --folds 2,3 --epochs 2 ${_tiny} --out ${_a}/cv
  CLEAN ${_a}/cv
  # stdout (the table) comes before stderr (the progress) in what is matched
  REGEX "\n2 +[0-9.]+ ± [0-9.]+.*\n3 +[0-9.]+ ± [0-9.]+.*5 trainings in.*5 trainings of 6 patients.*k=3 fold 3/3"
  PRESENT ${_a}/cv/crossval.json ${_a}/cv/crossval.csv ${_a}/cv/summary.csv ${_a}/cv/report.html
  # one row of four charts per k, then the table of the five folds
  MATCH ${_a}/cv/report.html "2-fold cross-validation.*\\(a\\) total loss.*\\(b\\) mIoU.*\\(c\\) pixel accuracy.*\\(d\\) Hausdorff distance.*3-fold cross-validation \\(paper Fig. 14\\).*\\(d\\) Hausdorff.*Every fold.*</html>")
foreach(bad "3,x|--folds: 'x' is not a number" "1|--folds: k must be at least 2, got 1"
            "2,3,2|--folds: 2 is listed twice" "3,9|--folds: 9 folds need at least 9 patients, the data set has 6"
            "3,,6|--folds: '' is not a number")
  string(REPLACE "|" ";" bad "${bad}")
  list(GET bad 0 folds)
  list(GET bad 1 message)
  string(MAKE_C_IDENTIFIER "${folds}" id)
  fbd_app_cli_case(cli_crossval_bad_folds_${id} FAIL REQUIRES app_phantom
    CMD crossval --data ${_a}/phantom --folds ${folds} --epochs 1 --out ${_a}/cv_bad
    REGEX "^fbd: error: ${message}" ABSENT ${_a}/cv_bad)
endforeach()
fbd_app_cli_case(cli_crossval_unknown_loss FAIL REQUIRES app_phantom
  CMD crossval --data ${_a}/phantom --folds 2 --loss hinge --out ${_a}/cv_bad
  REGEX "^fbd: error: unknown loss 'hinge': expected one of dice, focal, bce, fbd, bce-iou" ABSENT ${_a}/cv_bad)
fbd_app_cli_case(cli_crossval_unknown_net FAIL REQUIRES app_phantom
  CMD crossval --data ${_a}/phantom --folds 2 --net resnet --out ${_a}/cv_bad
  REGEX "^fbd: error: unknown network 'resnet'" ABSENT ${_a}/cv_bad)
fbd_app_cli_case(cli_crossval_missing_data FAIL
  CMD crossval --data ${_a}/no-such-data --folds 2 --out ${_a}/cv_bad
  REGEX "^fbd: error: .*no-such-data" ABSENT ${_a}/cv_bad)
fbd_app_cli_case(cli_crossval_out_not_empty FAIL REQUIRES app_phantom
  CMD crossval --data ${_a}/phantom --folds 2 --out ${_a}/busy
  REGEX "^fbd: error: --out: .*busy is not empty" PRESENT ${_a}/busy/notes.txt ABSENT ${_a}/busy/crossval.json)

# ---- fbd compare ----
fbd_app_cli_case(cli_compare_tiny REQUIRES app_phantom
  CMD compare --data ${_a}/phantom --nets fbdnet,unet --losses fbd,bce-iou --epochs 1 ${_tiny} --out ${_a}/cmp
  CLEAN ${_a}/cmp
  REGEX "\nfbdnet +fbd +[0-9.]+.*\nfbdnet +bce-iou +[0-9.]+.*\nunet +fbd +[0-9.]+.*3 runs in.*3 runs of 1 epochs"
  PRESENT ${_a}/cmp/compare.json ${_a}/cmp/compare.csv ${_a}/cmp/compare_curves.csv ${_a}/cmp/report.html
  MATCH ${_a}/cmp/report.html "Held-out segmentation.*paper Fig. 18.*Loss comparison on fbdnet.*Model comparison with the fbd loss.*</html>")
fbd_app_cli_case(cli_compare_unknown_loss FAIL REQUIRES app_phantom
  CMD compare --data ${_a}/phantom --losses fbd,nope --out ${_a}/cmp_bad
  REGEX "^fbd: error: --losses: unknown name 'nope': expected one of dice, focal, bce, fbd, bce-iou, bce-boundary, shape-aware"
  ABSENT ${_a}/cmp_bad)
fbd_app_cli_case(cli_compare_unknown_net FAIL REQUIRES app_phantom
  CMD compare --data ${_a}/phantom --nets fbdnet,vgg16 --out ${_a}/cmp_bad
  REGEX "^fbd: error: --nets: unknown name 'vgg16': expected one of fbdnet, unet, attunet" ABSENT ${_a}/cmp_bad)
fbd_app_cli_case(cli_compare_repeated_net FAIL REQUIRES app_phantom
  CMD compare --data ${_a}/phantom --nets unet,unet --out ${_a}/cmp_bad
  REGEX "^fbd: error: --nets: 'unet' is listed twice" ABSENT ${_a}/cmp_bad)
fbd_app_cli_case(cli_compare_bad_epochs FAIL REQUIRES app_phantom
  CMD compare --data ${_a}/phantom --epochs 0 --out ${_a}/cmp_bad
  REGEX "^fbd: error: --epochs must be at least 1, got 0" ABSENT ${_a}/cmp_bad)

# ---- fbd classify ----
fbd_app_cli_case(cli_classify_run REQUIRES app_run
  CMD classify --model ${_a}/run --folds 2 --epochs 50 --device cpu
  REGEX "P000 .*P005 .*\nMLP +[0-9.]+% +[0-9.]+% +[0-9.]+%.*\nvolume-ratio threshold +[0-9.]+%.*\nmajority class +[0-9.]+%.*6 labelled patients, 2-fold"
  PRESENT ${_a}/run/classify.csv ${_a}/run/classify.json ${_a}/run/classify.html
  MATCH ${_a}/run/classify.json "\"metrics\": {.*\"majority\".*\"mlp\".*\"volume_threshold\"")
fbd_app_cli_case(cli_classify_truth REQUIRES app_run
  CMD classify --model ${_a}/run --folds 3 --masks truth --out ${_a}/truth.csv
  CLEAN ${_a}/truth.csv ${_a}/truth.json
  REGEX "3-fold.*features from ground-truth masks" PRESENT ${_a}/truth.csv ${_a}/truth.json)
fbd_app_cli_case(cli_classify_too_many_folds FAIL REQUIRES app_run
  CMD classify --model ${_a}/run --folds 7 --out ${_a}/cls_bad.csv
  REGEX "^fbd: error: classify: 6 labelled patients cannot fill 7 folds" ABSENT ${_a}/cls_bad.csv ${_a}/cls_bad.json ${_a}/cls_bad.html)
fbd_app_cli_case(cli_classify_one_malignant FAIL REQUIRES "app_run;app_one_malignant"
  CMD classify --model ${_a}/run --data ${_a}/one_malignant --folds 2 --out ${_a}/cls_bad.csv
  REGEX "^fbd: error: classify: cross-validation needs at least 2 labelled patients of each class, found 3 benign and 1 malignant"
  ABSENT ${_a}/cls_bad.csv)
fbd_app_cli_case(cli_classify_no_run FAIL
  CMD classify --model ${_a}/no-such-run
  REGEX "^fbd: error: .*no-such-run: no such run folder")
fbd_app_cli_case(cli_classify_bad_masks FAIL REQUIRES app_run
  CMD classify --model ${_a}/run --masks guess --out ${_a}/cls_bad.csv
  REGEX "^fbd: error: --masks must be predicted or truth, got 'guess'" ABSENT ${_a}/cls_bad.csv)
fbd_app_cli_case(cli_classify_out_folder_missing FAIL REQUIRES app_run
  CMD classify --model ${_a}/run --out ${_a}/no-such-folder/c.csv
  REGEX "^fbd: error: --out: folder .*no-such-folder does not exist" ABSENT ${_a}/no-such-folder)

# ---- the CPU convolution backend (layers/conv_onednn.h) ----
# The suite runs fbd's own kernels (FBD_CPU_CONV=fbd, set for every test in tests/CMakeLists.txt);
# a training run through oneDNN, where it is built in, and a bad FBD_CPU_CONV.
if(FBD_WITH_ONEDNN)
  fbd_app_cli_case(cli_train_onednn REQUIRES app_phantom
    CMD train --data ${_a}/phantom --out ${_a}/run_onednn --epochs 1 ${_tiny}
    CLEAN ${_a}/run_onednn PRESENT ${_a}/run_onednn/last.safetensors)
  set_tests_properties(cli_train_onednn PROPERTIES ENVIRONMENT "FBD_CPU_CONV=onednn")
  add_test(NAME cli_info_onednn COMMAND fbd info)
  set_tests_properties(cli_info_onednn PROPERTIES LABELS cli ENVIRONMENT "FBD_CPU_CONV=onednn"
                       PASS_REGULAR_EXPRESSION "CPU convolutions: oneDNN [0-9]")
endif()
add_test(NAME cli_cpu_conv_bad_value COMMAND fbd info)
set_tests_properties(cli_cpu_conv_bad_value PROPERTIES LABELS cli ENVIRONMENT "FBD_CPU_CONV=mkl"
                     PASS_REGULAR_EXPRESSION "fbd: error: FBD_CPU_CONV must be fbd or onednn, got 'mkl'")
