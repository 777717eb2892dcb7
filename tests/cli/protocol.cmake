# The paper's protocol as a user sets it (docs/PAPER.md): split files, held-out fractions,
# --preset paper, k-fold files, image-level cross-validation, the ablations (fbd ablate), and
# refused commands that leave a run folder as it was. Uses fbd_app_cli_case and the tiny phantom (6 patients P000-P005) of
# app_compare.cmake.
set(_s ${CMAKE_CURRENT_BINARY_DIR}/cli-protocol)
file(MAKE_DIRECTORY ${_s})
file(WRITE ${_s}/split.json
     "{\"comment\": \"P005 is in neither list\", \"train_patients\": [\"P003\", \"P000\", \"P001\"],\n"
     " \"test_patients\": [\"P004\", \"P002\"]}\n")
file(WRITE ${_s}/split_unknown.json "{\"train_patients\": [\"P000\"], \"test_patients\": [\"P099\"]}\n")
file(WRITE ${_s}/split_both.json "{\"train_patients\": [\"P000\", \"P001\"], \"test_patients\": [\"P001\"]}\n")
file(WRITE ${_s}/folds.json
     "{\"k\": 2, \"seed\": 0, \"folds\": [\n"
     " {\"test_patients\": [\"P000\", \"P001\", \"P002\"], \"train_patients\": [\"P003\", \"P004\", \"P005\"]},\n"
     " {\"test_patients\": [\"P003\", \"P004\", \"P005\"], \"train_patients\": [\"P000\", \"P001\", \"P002\"]}]}\n")
file(WRITE ${_s}/folds_unknown.json
     "{\"k\": 2, \"seed\": 0, \"folds\": [\n"
     " {\"test_patients\": [\"P000\"], \"train_patients\": [\"P007\"]},\n"
     " {\"test_patients\": [\"P007\"], \"train_patients\": [\"P000\"]}]}\n")

# ---- fbd train: --split, --test-fraction, --preset paper ----
fbd_app_cli_case(cli_protocol_split_train REQUIRES app_phantom
  CMD train --data ${_a}/phantom --out ${_s}/split_run --split ${_s}/split.json --epochs 1 ${_tiny}
  CLEAN ${_s}/split_run
  REGEX "3 training and 2 test patients"
  MATCH ${_s}/split_run/config.json
        "\"preset\": \"\",.*\"split\": \"[^\"]*split.json\",.*\"test_patients\": \\[\n +\"P002\",\n +\"P004\"\n +\\],.*\"train_patients\": \\[\n +\"P000\",\n +\"P001\",\n +\"P003\"\n +\\]")
fbd_app_cli_case(cli_protocol_split_unknown_patient FAIL REQUIRES app_phantom
  CMD train --data ${_a}/phantom --out ${_s}/bad_run --split ${_s}/split_unknown.json ${_tiny}
  REGEX "^fbd: error: .*split_unknown.json: test patient 'P099' is not in the data set" ABSENT ${_s}/bad_run)
fbd_app_cli_case(cli_protocol_split_patient_on_both_sides FAIL REQUIRES app_phantom
  CMD compare --data ${_a}/phantom --out ${_s}/bad_run --split ${_s}/split_both.json --nets unet --losses dice ${_tiny}
  REGEX "^fbd: error: .*split_both.json: patient 'P001' is both a training and a test patient" ABSENT ${_s}/bad_run)
fbd_app_cli_case(cli_protocol_split_missing_file FAIL REQUIRES app_phantom
  CMD train --data ${_a}/phantom --out ${_s}/bad_run --split ${_s}/no-such-split.json ${_tiny}
  REGEX "^fbd: error: --split: no such file: .*no-such-split.json" ABSENT ${_s}/bad_run)
fbd_app_cli_case(cli_protocol_split_and_fraction FAIL REQUIRES app_phantom
  CMD train --data ${_a}/phantom --out ${_s}/bad_run --split ${_s}/split.json --test-fraction 0.5 ${_tiny}
  REGEX "^fbd: error: --split and --test-fraction are two ways to choose the test patients: give one" ABSENT ${_s}/bad_run)
fbd_app_cli_case(cli_protocol_fraction_rounds_to_nothing FAIL REQUIRES app_phantom
  CMD train --data ${_a}/phantom --out ${_s}/bad_run --test-fraction 0.05 ${_tiny}
  REGEX "^fbd: error: a test fraction of 0.05 of 6 patients holds out 0 \\(needs at least 1 test and 1 training patient\\)"
  ABSENT ${_s}/bad_run)
# The paper's 10 training and 20 test patients is 2 and 4 of 6; --epochs on the command line
# wins over the preset's 100.
fbd_app_cli_case(cli_protocol_preset_paper REQUIRES app_phantom
  CMD train --data ${_a}/phantom --out ${_s}/paper_run --preset paper --epochs 1 ${_tiny}
  CLEAN ${_s}/paper_run
  REGEX "2 training and 4 test patients"
  MATCH ${_s}/paper_run/config.json "\"epochs\": 1,.*\"preset\": \"paper\",.*\"test_fraction\": 0.666")
fbd_app_cli_case(cli_protocol_bad_preset FAIL REQUIRES app_phantom
  CMD train --data ${_a}/phantom --out ${_s}/bad_run --preset nature ${_tiny}
  REGEX "^fbd: error: --preset must be paper, got 'nature'" ABSENT ${_s}/bad_run)

# ---- a refused resume changes nothing: app_run has 2 epochs; --epochs 1 is refused ----
fbd_app_cli_case(cli_protocol_refused_resume_keeps_config FAIL REQUIRES app_run
  CMD train --resume ${_a}/run --epochs 1
  REGEX "^fbd: error: .*already trained for 2 of 1 epochs \\(pass a larger --epochs to continue\\)"
  MATCH ${_a}/run/config.json "\"epochs\": 2,")

# ---- fbd crossval: --folds-file, --cv-unit image ----
fbd_app_cli_case(cli_protocol_crossval_folds_file REQUIRES app_phantom
  CMD crossval --data ${_a}/phantom --folds-file ${_s}/folds.json --epochs 1 ${_tiny} --out ${_s}/cv_file
  CLEAN ${_s}/cv_file
  REGEX "2 trainings of 6 patients.*k=2 fold 1/2 .*: 3 training, 3 test patients"
  MATCH ${_s}/cv_file/crossval.json "\"folds_file\": \"[^\"]*folds.json\",.*\"test_patients\": \\[\n +\"P000\",\n +\"P001\",\n +\"P002\"")
fbd_app_cli_case(cli_protocol_crossval_folds_file_unknown FAIL REQUIRES app_phantom
  CMD crossval --data ${_a}/phantom --folds-file ${_s}/folds_unknown.json --out ${_s}/cv_bad
  REGEX "^fbd: error: .*folds_unknown.json: training patient 'P007' is not in the data set" ABSENT ${_s}/cv_bad)
fbd_app_cli_case(cli_protocol_crossval_folds_file_and_folds FAIL REQUIRES app_phantom
  CMD crossval --data ${_a}/phantom --folds-file ${_s}/folds.json --folds 3 --out ${_s}/cv_bad
  REGEX "^fbd: error: --folds-file holds the folds: --folds and --cv-unit do not apply" ABSENT ${_s}/cv_bad)
fbd_app_cli_case(cli_protocol_crossval_split FAIL REQUIRES app_phantom
  CMD crossval --data ${_a}/phantom --split ${_s}/split.json --out ${_s}/cv_bad
  REGEX "^fbd: error: --split names one train/test split; crossval takes --folds-file" ABSENT ${_s}/cv_bad)
fbd_app_cli_case(cli_protocol_crossval_bad_unit FAIL REQUIRES app_phantom
  CMD crossval --data ${_a}/phantom --cv-unit slice --out ${_s}/cv_bad
  REGEX "^fbd: error: --cv-unit must be patient or image, got 'slice'" ABSENT ${_s}/cv_bad)
# 6 patients x 3 slices: 9 slices per test fold, and the warning that patients straddle folds.
fbd_app_cli_case(cli_protocol_crossval_image_level REQUIRES app_phantom
  CMD crossval --data ${_a}/phantom --cv-unit image --folds 2 --epochs 1 ${_tiny} --out ${_s}/cv_image
  CLEAN ${_s}/cv_image
  REGEX "warning: --cv-unit image deals slices.*optimistic"
  MATCH ${_s}/cv_image/report.html "Image-level \\(slices dealt into folds.*9 slices of P0")

# ---- fbd ablate (Figs. 1 and 3) ----
fbd_app_cli_case(cli_protocol_ablate_bam_stage REQUIRES app_phantom
  CMD ablate --data ${_a}/phantom --study bam-stage --epochs 1 ${_tiny} --out ${_s}/ablate
  CLEAN ${_s}/ablate
  REGEX "\nno boundary attention +--bam-stage 0 +[0-9.]+.*\nboundary attention on stage 1 +--bam-stage 1 +[0-9.]+.*\nboundary attention on stage 2 \\(paper\\) +--bam-stage 2 +[0-9.]+.*bam-stage: 3 variants of 1 epochs; 3 training and 2 held-out patients"
  PRESENT ${_s}/ablate/ablate.json ${_s}/ablate/ablate.csv ${_s}/ablate/report.html
  MATCH ${_s}/ablate/ablate.csv "^variant,setting,dice,[^\n]*\n\"no boundary attention\",\"--bam-stage 0\",[0-9.]+,[^\n]*\n\"boundary attention on stage 1\",\"--bam-stage 1\",[0-9.]+,[^\n]*\n\"boundary attention on stage 2 \\(paper\\)\",")
fbd_app_cli_case(cli_protocol_ablate_unknown_study FAIL REQUIRES app_phantom
  CMD ablate --data ${_a}/phantom --study dropout --out ${_s}/ablate_bad
  REGEX "^fbd: error: --study must be loss-weights \\(paper Fig. 1\\) or bam-stage \\(paper Fig. 3\\), got 'dropout'"
  ABSENT ${_s}/ablate_bad)
fbd_app_cli_case(cli_protocol_ablate_weights_given FAIL REQUIRES app_phantom
  CMD ablate --data ${_a}/phantom --study loss-weights --weights 1,0,0 --out ${_s}/ablate_bad
  REGEX "^fbd: error: --study loss-weights sets the weights of each variant: --weights does not apply"
  ABSENT ${_s}/ablate_bad)
fbd_app_cli_case(cli_protocol_ablate_no_study FAIL REQUIRES app_phantom
  CMD ablate --data ${_a}/phantom --out ${_s}/ablate_bad
  REGEX "^fbd: error: --study is required: loss-weights \\(paper Fig. 1\\) or bam-stage \\(paper Fig. 3\\)"
  ABSENT ${_s}/ablate_bad)

# ---- fbd eval: --fov quadrant and clean-up ----
fbd_app_cli_case(cli_protocol_eval_quadrant REQUIRES app_run
  CMD eval --model ${_a}/run --fov quadrant --largest --per patient --device cpu --out ${_s}/eval_quadrant.csv
  CLEAN ${_s}/eval_quadrant.csv
  REGEX "field of view: the tumour's quadrant, largest component\\); table written"
  MATCH ${_s}/eval_quadrant.csv "^patient,dice,precision,specificity,iou,hd,hd95,boundary_iou,boundary_dice,hd_one_empty\n")
fbd_app_cli_case(cli_protocol_eval_bad_fov FAIL REQUIRES app_run
  CMD eval --model ${_a}/run --fov breast --out ${_s}/eval_bad.csv
  REGEX "^fbd: error: --fov must be slice or quadrant, got 'breast'" ABSENT ${_s}/eval_bad.csv)

# ---- fbd classify --folds-file ----
fbd_app_cli_case(cli_protocol_classify_folds_file REQUIRES app_run
  CMD classify --model ${_a}/run --folds-file ${_s}/folds.json --epochs 20 --device cpu --out ${_s}/cls_file.csv
  CLEAN ${_s}/cls_file.csv ${_s}/cls_file.json ${_s}/cls_file.html
  REGEX "6 labelled patients, 2-fold"
  MATCH ${_s}/cls_file.csv "P000,[^\n]*,1,[^\n]*\nP001,")
fbd_app_cli_case(cli_protocol_classify_folds_file_and_folds FAIL REQUIRES app_run
  CMD classify --model ${_a}/run --folds-file ${_s}/folds.json --folds 3 --out ${_s}/cls_bad.csv
  REGEX "^fbd: error: --folds-file holds the folds: --folds does not apply" ABSENT ${_s}/cls_bad.csv)
fbd_app_cli_case(cli_protocol_classify_folds_file_unknown FAIL REQUIRES app_run
  CMD classify --model ${_a}/run --folds-file ${_s}/folds_unknown.json --out ${_s}/cls_bad.csv
  REGEX "^fbd: error: .*folds_unknown.json: training patient 'P007' is not in the data set" ABSENT ${_s}/cls_bad.csv)

# ---- fbd classify --split: one hold-out split instead of cross-validation ----
fbd_app_cli_case(cli_protocol_classify_split REQUIRES app_run
  CMD classify --model ${_a}/run --split ${_s}/split.json --epochs 20 --device cpu --out ${_s}/cls_split.csv
  CLEAN ${_s}/cls_split.csv ${_s}/cls_split.json ${_s}/cls_split.html
  REGEX "2 labelled test patients of the split [^\n]*split.json, 3 labelled training patients"
  MATCH ${_s}/cls_split.json "\"folds\": 1,.*\"split\": \"[^\"]*split.json\",.*\"train_only\": \\[\n +\"P000\",\n +\"P001\",\n +\"P003\"\n +\\]")
fbd_app_cli_case(cli_protocol_classify_split_and_folds_file FAIL REQUIRES app_run
  CMD classify --model ${_a}/run --split ${_s}/split.json --folds-file ${_s}/folds.json --out ${_s}/cls_bad.csv
  REGEX "^fbd: error: --split and --folds-file are two ways to choose the test patients: give one" ABSENT ${_s}/cls_bad.csv)
fbd_app_cli_case(cli_protocol_classify_split_unknown FAIL REQUIRES app_run
  CMD classify --model ${_a}/run --split ${_s}/split_unknown.json --out ${_s}/cls_bad.csv
  REGEX "^fbd: error: .*split_unknown.json: test patient 'P099' is not in the data set" ABSENT ${_s}/cls_bad.csv)
