# `--net pix2pix` as a user runs it: a tiny phantom, a two-epoch run that writes every output,
# resume, eval, predict, cross-validation and the model comparison with it, and the
# configurations it refuses (one line on stderr, a non-zero exit, no run folder left behind).
# Uses fbd_app_cli_case of app_compare.cmake (the sorted glob includes it first); outputs go
# under the build tree.
set(_p ${CMAKE_CURRENT_BINARY_DIR}/cli-pix2pix)
set(_p_tiny --width 4 --size 32 --device cpu --workers 0)

fbd_app_cli_case(cli_pix2pix_synth SETUP pix2pix_phantom
  CMD synth --out ${_p}/phantom --patients 6 --slices-per-patient 3 --size 64 --seed 3
  REGEX "6 patients")
# Without --loss, pix2pix trains with its own loss (adversarial + 100 L1); metrics.csv has the
# generator's and the discriminator's losses.
fbd_app_cli_case(cli_pix2pix_train SETUP pix2pix_run REQUIRES pix2pix_phantom
  CMD train --data ${_p}/phantom --out ${_p}/run --net pix2pix --epochs 2 --lr 2e-4 ${_p_tiny}
  CLEAN ${_p}/run
  # stdout (the summary) comes before stderr (the start line, the epochs) in what is matched
  REGEX "fbd train: 2 epochs.*pix2pix \\([0-9]+ parameters\\) with pix2pix loss \\(the network.s own\\).*G adv [0-9.]+  G rec [0-9.]+  D [0-9.]+"
  PRESENT ${_p}/run/config.json ${_p}/run/metrics.csv ${_p}/run/log.txt ${_p}/run/last.safetensors
          ${_p}/run/best.safetensors ${_p}/run/report.html
  MATCH ${_p}/run/metrics.csv "^epoch,lr,train_loss,.*,seconds,train_g_adv,train_g_rec,train_d_loss\n1,[^\n]*[0-9]\n2,")
fbd_app_cli_case(cli_pix2pix_resume REQUIRES pix2pix_run
  CMD train --resume ${_p}/run --epochs 3
  REGEX "fbd train: 3 epochs.*resuming .*run \\(pix2pix, [0-9]+ parameters, pix2pix loss\\) from epoch [0-9] up to epoch 3"
  MATCH ${_p}/run/metrics.csv "\n3,[^\n]*[0-9]\n$")
fbd_app_cli_case(cli_pix2pix_eval REQUIRES pix2pix_run
  CMD eval --model ${_p}/run --device cpu --out ${_p}/eval.csv
  CLEAN ${_p}/eval.csv
  PRESENT ${_p}/eval.csv MATCH ${_p}/eval.csv "\nmean,")
fbd_app_cli_case(cli_pix2pix_predict REQUIRES pix2pix_run
  CMD predict --model ${_p}/run --input ${_p}/phantom --out ${_p}/pred --device cpu
  CLEAN ${_p}/pred
  PRESENT ${_p}/pred/P000_S00_mask.png ${_p}/pred/P000_S00_overlay.png)
fbd_app_cli_case(cli_pix2pix_crossval REQUIRES pix2pix_phantom
  CMD crossval --data ${_p}/phantom --net pix2pix --folds 2 --epochs 1 --lr 2e-4 ${_p_tiny} --out ${_p}/cv
  CLEAN ${_p}/cv
  REGEX "2 trainings in"
  PRESENT ${_p}/cv/crossval.csv ${_p}/cv/summary.csv ${_p}/cv/report.html
  MATCH ${_p}/cv/crossval.csv "train_d_loss\n")
# In the model comparison pix2pix trains with the first --losses entry in place of its L1 term.
fbd_app_cli_case(cli_pix2pix_compare REQUIRES pix2pix_phantom
  CMD compare --data ${_p}/phantom --nets unet,pix2pix --losses dice --epochs 1 ${_p_tiny} --out ${_p}/cmp
  CLEAN ${_p}/cmp
  REGEX "\nunet +dice +[0-9.]+.*\npix2pix +dice +[0-9.]+.*2 runs in"
  PRESENT ${_p}/cmp/compare.csv ${_p}/cmp/report.html)

# ---- the configurations it refuses ----
fbd_app_cli_case(cli_pix2pix_loss_on_other_net FAIL REQUIRES pix2pix_phantom
  CMD train --data ${_p}/phantom --out ${_p}/bad --net unet --loss pix2pix ${_p_tiny}
  REGEX "^fbd: error: loss 'pix2pix' trains only --net pix2pix \\(its adversarial term needs a discriminator\\), not unet( \\[.*\\])?$"
  ABSENT ${_p}/bad)
fbd_app_cli_case(cli_pix2pix_non_training_loss FAIL REQUIRES pix2pix_phantom
  CMD train --data ${_p}/phantom --out ${_p}/bad --net pix2pix --loss boundary ${_p_tiny}
  REGEX "^fbd: error: loss 'boundary' cannot train a network" ABSENT ${_p}/bad)
fbd_app_cli_case(cli_pix2pix_too_small FAIL REQUIRES pix2pix_phantom
  CMD train --data ${_p}/phantom --out ${_p}/bad --net pix2pix --size 16 --device cpu
  REGEX "^fbd: error: pix2pix: --size must be at least 32 \\(the PatchGAN discriminator\\), got 16( \\[.*\\])?$" ABSENT ${_p}/bad)
