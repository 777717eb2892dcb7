# The method's settings as a user sets them (docs/APP.md, "Closing the gap to U-Net"): fbdnet's
# prediction head, decoder (fpn alone upsamples bilinearly), upsampling, encoder blocks, stem and
# stage-5 width, the focal alpha and gamma, the boundary-weight
# ramp, the distance scale, the auxiliary sides' weight, the weight decay and all-quadrant training
# are recorded in config.json; bad values are one-line errors that create nothing. Uses
# fbd_app_cli_case and the tiny phantom of app_compare.cmake.
set(_m ${CMAKE_CURRENT_BINARY_DIR}/cli-method)
file(MAKE_DIRECTORY ${_m})

fbd_app_cli_case(cli_method_settings_recorded REQUIRES app_phantom
  CMD train --data ${_a}/phantom --out ${_m}/run --epochs 2 --decoder fpn --head half --alpha 0.5 --gamma 1
      --boundary-ramp 2 --stem conv --stage5-width 8 --all-quadrants ${_tiny}
  CLEAN ${_m}/run
  REGEX "2 epochs; last epoch: test Dice"
  MATCH ${_m}/run/config.json
        "\"all_quadrants\": true,.*\"loss\": {\n +\"alpha\": 0.5,\n +\"beta\": [0-9.e-]+,\n +\"boundary_ramp\": 2,.*\"gamma\": 1.0,.*\"decoder\": \"fpn\",.*\"head\": \"half\",.*\"stage5_width\": 8,\n +\"stem\": \"conv\",.*\"upsample\": \"bilinear\",")
fbd_app_cli_case(cli_method_loss_settings_recorded REQUIRES app_phantom
  CMD train --data ${_a}/phantom --out ${_m}/run_loss --epochs 1 --decoder unet --upsample transposed --block plain
      --distance normalized --side-weight 0.5 --weight-decay 0.001 ${_tiny}
  CLEAN ${_m}/run_loss
  REGEX "1 epochs; last epoch: test Dice"
  MATCH ${_m}/run_loss/config.json
        "\"distance\": \"normalized\",.*\"side_weight\": 0.5,.*\"block\": \"plain\",.*\"decoder\": \"unet\",.*\"upsample\": \"transposed\",.*\"weight_decay\": 0.001")
fbd_app_cli_case(cli_method_defaults_recorded REQUIRES app_phantom
  CMD train --data ${_a}/phantom --out ${_m}/run_default --epochs 1 ${_tiny}
  CLEAN ${_m}/run_default
  REGEX "1 epochs; last epoch: test Dice"
  MATCH ${_m}/run_default/config.json
        "\"all_quadrants\": false,.*\"loss\": {\n +\"alpha\": 0.25,\n +\"beta\": [0-9.e-]+,\n +\"boundary_ramp\": 0,\n +\"distance\": \"normalized\",.*\"gamma\": 2.0,.*\"side_weight\": 0.25,.*\"block\": \"plain\",.*\"decoder\": \"unet\",\n +\"downsample\": \"maxpool\",.*\"head\": \"full\",.*\"stage5_width\": 16,\n +\"stem\": \"none\",.*\"upsample\": \"transposed\",")
fbd_app_cli_case(cli_method_bad_head FAIL REQUIRES app_phantom
  CMD train --data ${_a}/phantom --out ${_m}/bad --head quarter ${_tiny}
  REGEX "^fbd: error: unknown head 'quarter': expected full or half" ABSENT ${_m}/bad)
fbd_app_cli_case(cli_method_bad_ramp FAIL REQUIRES app_phantom
  CMD compare --data ${_a}/phantom --out ${_m}/bad --nets fbdnet --losses fbd --boundary-ramp -3 ${_tiny}
  REGEX "^fbd: error: --boundary-ramp must be a non-negative number of epochs, got -3" ABSENT ${_m}/bad)
fbd_app_cli_case(cli_method_bad_alpha FAIL REQUIRES app_phantom
  CMD train --data ${_a}/phantom --out ${_m}/bad --alpha 1.5 ${_tiny}
  REGEX "^fbd: error: --alpha must be at most 1" ABSENT ${_m}/bad)
fbd_app_cli_case(cli_method_quadrant_flags_clash FAIL REQUIRES app_phantom
  CMD train --data ${_a}/phantom --out ${_m}/bad --all-quadrants --no-quadrants ${_tiny}
  REGEX "^fbd: error: --all-quadrants and --no-quadrants exclude each other" ABSENT ${_m}/bad)
fbd_app_cli_case(cli_method_bad_distance FAIL REQUIRES app_phantom
  CMD train --data ${_a}/phantom --out ${_m}/bad --distance metres ${_tiny}
  REGEX "^fbd: error: unknown --distance 'metres': expected pixels or normalized" ABSENT ${_m}/bad)
fbd_app_cli_case(cli_method_decoder_clash FAIL REQUIRES app_phantom
  CMD train --data ${_a}/phantom --out ${_m}/bad --decoder unet --head half ${_tiny}
  REGEX "^fbd: error: --decoder unet reads every stage and predicts at full resolution" ABSENT ${_m}/bad)
fbd_app_cli_case(cli_method_upsample_clash FAIL REQUIRES app_phantom
  CMD train --data ${_a}/phantom --out ${_m}/bad --decoder fpn --upsample transposed ${_tiny}
  REGEX "^fbd: error: --upsample transposed goes with --decoder unet" ABSENT ${_m}/bad)
fbd_app_cli_case(cli_method_bad_stage5_width FAIL REQUIRES app_phantom
  CMD train --data ${_a}/phantom --out ${_m}/bad --stage5-width 12 ${_tiny}
  REGEX "^fbd: error: stage 5's width is 8 or 16 times --width, got 12" ABSENT ${_m}/bad)
fbd_app_cli_case(cli_method_bad_gamma FAIL REQUIRES app_phantom
  CMD train --data ${_a}/phantom --out ${_m}/bad --gamma -2 ${_tiny}
  REGEX "^fbd: error: --gamma must be in \\[0, 10\\], got -2" ABSENT ${_m}/bad)
fbd_app_cli_case(cli_method_bad_weight_decay FAIL REQUIRES app_phantom
  CMD train --data ${_a}/phantom --out ${_m}/bad --weight-decay -1 ${_tiny}
  REGEX "^fbd: error: --weight-decay must be non-negative" ABSENT ${_m}/bad)
