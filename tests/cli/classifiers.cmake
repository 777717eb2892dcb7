# fbd classify with the Table 4 classifiers (apps/classify/classifier_registry.h) as a user runs
# it: `--classifier all` on the tiny run of app_compare.cmake (ground-truth masks, so that every
# patient has tumour crops whatever the two-epoch network predicts), one epoch per CNN at the
# smallest input every network takes (AlexNet's 63 px, rounded to 64) and width 1/16; and the
# configurations it refuses, each a one-line error that writes nothing. Uses fbd_app_cli_case
# and the app_run fixture of app_compare.cmake, which the sorted glob includes first.
set(_c ${CMAKE_CURRENT_BINARY_DIR}/cli-app)
set(_c_tiny --folds 2 --masks truth --device cpu --epochs 20 --cnn-epochs 1 --pretrain-epochs 1 --input-size 64
            --width-mult 0.0625 --batch 8)

fbd_app_cli_case(cli_classify_all REQUIRES app_run
  CMD classify --model ${_a}/run --classifier all ${_c_tiny} --out ${_c}/all.csv
  CLEAN ${_c}/all.csv ${_c}/all.json ${_c}/all.html
  # stdout: the per-patient table, then one Table 4 row per classifier and the baselines
  REGEX "\nMLP +[0-9.]+%.*\nVGG16 +[0-9.]+%.*\nInception-v3 +[0-9.]+%.*\nResNet-50 +[0-9.]+%.*\nAlexNet +[0-9.]+%.*\nFCNN +[0-9.]+%.*\nAlexNet-TL +[0-9.]+%.*\nvolume-ratio threshold.*alexnet-tl: pretrained on tumour vs background crops"
  PRESENT ${_c}/all.csv ${_c}/all.json ${_c}/all.html
  MATCH ${_c}/all.html "paper Table 4.*VGG16.*Inception-v3.*ResNet-50.*AlexNet.*FCNN.*AlexNet-TL.*<svg.*Every patient.*</html>")
fbd_app_cli_case(cli_classify_list REQUIRES app_run
  CMD classify --model ${_a}/run --classifier fcnn,mlp ${_c_tiny} --out ${_c}/two.csv
  CLEAN ${_c}/two.csv ${_c}/two.json ${_c}/two.html
  REGEX "\nFCNN +[0-9.]+%.*\nMLP +[0-9.]+%"
  MATCH ${_c}/two.csv "^patient,label,fold,.*,tumour_crops,p_malignant_fcnn,fcnn,p_malignant_mlp,mlp,majority,volume_threshold\n")

# ---- refused ----
fbd_app_cli_case(cli_classify_unknown_classifier FAIL REQUIRES app_run
  CMD classify --model ${_a}/run --classifier svm --out ${_c}/bad.csv
  REGEX "^fbd: error: unknown classifier 'svm': expected one of mlp, vgg16, inceptionv3, resnet50, alexnet, fcnn, alexnet-tl"
  ABSENT ${_c}/bad.csv ${_c}/bad.json ${_c}/bad.html)
fbd_app_cli_case(cli_classify_repeated_classifier FAIL REQUIRES app_run
  CMD classify --model ${_a}/run --classifier vgg16,vgg16 --out ${_c}/bad.csv
  REGEX "^fbd: error: .*vgg16.* twice" ABSENT ${_c}/bad.csv)
fbd_app_cli_case(cli_classify_pretrained_without_tl FAIL REQUIRES app_run
  CMD classify --model ${_a}/run --classifier vgg16 --pretrained ${_c}/none.safetensors --out ${_c}/bad.csv
  REGEX "^fbd: error: --pretrained is for alexnet-tl" ABSENT ${_c}/bad.csv)
fbd_app_cli_case(cli_classify_pretrained_missing FAIL REQUIRES app_run
  CMD classify --model ${_a}/run --classifier alexnet-tl --pretrained ${_c}/none.safetensors --out ${_c}/bad.csv
  REGEX "^fbd: error: .*none.safetensors" ABSENT ${_c}/bad.csv)
fbd_app_cli_case(cli_classify_input_too_small FAIL REQUIRES app_run
  CMD classify --model ${_a}/run --classifier alexnet --input-size 32 --out ${_c}/bad.csv
  REGEX "^fbd: error: alexnet needs --input-size in \\[63, 1024\\], got 32( \\[.*\\])?$" ABSENT ${_c}/bad.csv)
fbd_app_cli_case(cli_classify_negative_cnn_lr FAIL REQUIRES app_run
  CMD classify --model ${_a}/run --classifier fcnn --cnn-lr -1 --out ${_c}/bad.csv
  REGEX "^fbd: error: --cnn-lr must be positive \\(or 0 for each network's own\\), got -1( \\[.*\\])?$" ABSENT ${_c}/bad.csv)
fbd_app_cli_case(cli_classify_out_is_json FAIL REQUIRES app_run
  CMD classify --model ${_a}/run --out ${_c}/bad.json
  REGEX "^fbd: error: --out: .*bad.json would be overwritten by the JSON summary or the report" ABSENT ${_c}/bad.json)
