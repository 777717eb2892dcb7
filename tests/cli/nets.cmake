# fbd train with the Table 3 baselines (apps/nets/resunet.cpp, denseunet.cpp, vnet2d.cpp): one
# tiny run each; without --loss the network's own loss is used and config.json records it by
# name (so resume and eval rebuild the same run); --loss NAME overrides it; the help lists every
# network with its paper. Uses fbd_app_cli_case and the app_phantom fixture of app_compare.cmake,
# which the sorted glob of tests/CMakeLists.txt includes before this file.
set(_n ${CMAKE_CURRENT_BINARY_DIR}/cli-nets)
set(_nets_phantom ${CMAKE_CURRENT_BINARY_DIR}/cli-app/phantom)
set(_nets_tiny --epochs 1 --width 4 --size 32 --device cpu --workers 0)

fbd_app_cli_case(cli_nets_train_resunet SETUP nets_resunet_run REQUIRES app_phantom
  CMD train --data ${_nets_phantom} --out ${_n}/resunet --net resunet ${_nets_tiny}
  CLEAN ${_n}/resunet
  # stdout (the summary) comes before stderr (the start line) in what is matched
  REGEX "fbd train: 1 epochs;.*fbd train: resunet \\([0-9]+ parameters\\) with dice loss \\(the network's own\\);"
  PRESENT ${_n}/resunet/last.safetensors ${_n}/resunet/metrics.csv
  MATCH ${_n}/resunet/config.json "\"loss\": {[^}]*\"name\": \"dice\"[^}]*}.*\"net\": {[^}]*\"net\": \"resunet\"")
fbd_app_cli_case(cli_nets_resume_resunet REQUIRES nets_resunet_run
  CMD train --resume ${_n}/resunet --epochs 2
  REGEX "fbd train: 2 epochs;.*resuming .*resunet \\(resunet, [0-9]+ parameters, dice loss\\) from epoch 1 up to epoch 2")
fbd_app_cli_case(cli_nets_train_denseunet REQUIRES app_phantom
  CMD train --data ${_nets_phantom} --out ${_n}/denseunet --net denseunet ${_nets_tiny}
  CLEAN ${_n}/denseunet
  REGEX "fbd train: denseunet \\([0-9]+ parameters\\) with bce loss \\(the network's own\\);"
  MATCH ${_n}/denseunet/config.json "\"loss\": {[^}]*\"name\": \"bce\"")
fbd_app_cli_case(cli_nets_train_vnet2d_other_loss REQUIRES app_phantom
  CMD train --data ${_nets_phantom} --out ${_n}/vnet2d --net vnet2d --loss fbd ${_nets_tiny}
  CLEAN ${_n}/vnet2d
  REGEX "fbd train: vnet2d \\([0-9]+ parameters\\) with fbd loss;"
  MATCH ${_n}/vnet2d/config.json "\"loss\": {[^}]*\"name\": \"fbd\"")
fbd_app_cli_case(cli_nets_train_help
  CMD train --help
  REGEX "--loss TEXT=default .*resunet dice.*Networks \\(--net\\).*\n  resunet +residual U-Net[^\n]*\n +Zhang[^\n]*; loss dice\n  denseunet +[^\n]*\n +Li et al[^\n]*; loss bce\n  vnet2d +V-Net[^\n]*\n +Milletari[^\n]*; loss dice\n")
fbd_app_cli_case(cli_nets_compare_all REQUIRES app_phantom
  CMD compare --data ${_nets_phantom} --nets all --losses dice --epochs 1 --width 4 --size 32 --device cpu --workers 0
      --out ${_n}/cmp
  CLEAN ${_n}/cmp
  REGEX "\nfbdnet +dice .*\nunet +dice .*\nattunet +dice .*\nresunet +dice .*\ndenseunet +dice .*\nvnet2d +dice "
  PRESENT ${_n}/cmp/compare.csv)
fbd_app_cli_case(cli_nets_compare_all_alone FAIL REQUIRES app_phantom
  CMD compare --data ${_nets_phantom} --nets all,unet --out ${_n}/cmp_bad
  REGEX "^fbd: error: --nets: 'all' means every name and stands alone, got 'all,unet'" ABSENT ${_n}/cmp_bad)
