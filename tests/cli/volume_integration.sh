#!/usr/bin/env bash
# Volumes end to end, as a user with NIfTI data runs fbd: a phantom written as NIfTI volumes
# (nnU-Net layout, anisotropic spacing), checked, trained, predicted back to NIfTI on the
# input's grid, and evaluated whole in 3-D, in mm. Checks that every output exists, parses and
# is consistent, not that the network learns (a few epochs on a tiny set).
# Usage: volume_integration.sh FBD WORKDIR FIXTURES (tests/fixtures, for its DICOM series)
set -euo pipefail
fbd="$1"
work="$2"
fixtures="$3"
fail() { echo "volume_integration: FAIL: $*" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"

"$fbd" synth --out "$work/data" --format nifti --spacing 0.8,2.5 --patients 6 --slices-per-patient 4 --size 64 \
  --seed 3 >"$work/synth.txt"
grep -q "one NIfTI volume per patient, 0.8 x 0.8 x 2.5 mm" "$work/synth.txt" || fail "synth: $(cat "$work/synth.txt")"
for p in P000 P005; do
  [ -s "$work/data/imagesTr/${p}_0000.nii.gz" ] || fail "no imagesTr/${p}_0000.nii.gz"
  [ -s "$work/data/labelsTr/$p.nii.gz" ] || fail "no labelsTr/$p.nii.gz"
done
grep -q '"file_ending": ".nii.gz"' "$work/data/dataset.json" || fail "dataset.json has no file_ending"

"$fbd" check-data "$work/data" >"$work/check.txt"
grep -q "volumes: 6 (6 ok)" "$work/check.txt" || fail "check-data: $(cat "$work/check.txt")"
grep -Eq "P003 +P003 +64x64x4 +1 +0.80 x 0.80 x 2.50 mm +LPS +k +4 of 4 +0 1 " "$work/check.txt" ||
  fail "check-data's volume row for P003: $(grep P003 "$work/check.txt" | head -1)"

"$fbd" train --data "$work/data" --out "$work/run" --epochs 2 --size 32 --width 8 --batch 4 --device cpu \
  >"$work/train.txt"

grep -q '"slice_axis": "auto"' "$work/run/config.json" || fail "config.json does not record the slice axis"
grep -q '"mask_label": 0' "$work/run/config.json" || fail "config.json does not record the mask label"

# eval: the slice table as for images, and the whole held-out volumes in 3-D, in mm.
"$fbd" eval --model "$work/run" --device cpu >"$work/eval.txt"
[ -s "$work/run/eval_volumes.csv" ] || fail "eval wrote no eval_volumes.csv"
head -1 "$work/run/eval_volumes.csv" |
  grep -q '^volume,patient,dice,iou,precision,sensitivity,specificity,hd_mm,hd95_mm,assd_mm,pred_ml,true_ml,one_empty$' ||
  fail "eval_volumes.csv header: $(head -1 "$work/run/eval_volumes.csv")"
test_patients=$(tr -d ' \n' < "$work/run/config.json" | sed 's/.*"test_patients":\[\([^]]*\)\].*/\1/' | tr -d '"' | tr , '\n')
for p in $test_patients; do grep -q "^$p,$p," "$work/run/eval_volumes.csv" || fail "no volume row for $p"; done
# The true tumour volume in ml is the mask's voxel count times 0.8 * 0.8 * 2.5 / 1000.
grep -q "whole volumes in 3-D (distances in mm, volumes in ml)" "$work/eval.txt" || fail "eval: $(tail -3 "$work/eval.txt")"

# predict: a mask on each input's grid, named after the case, and overlays.
"$fbd" predict --model "$work/run" --input "$work/data" --out "$work/pred" --device cpu >"$work/predict.txt"
grep -q "fbd predict: 6 volumes" "$work/predict.txt" || fail "predict: $(cat "$work/predict.txt")"
for p in P000 P001 P002 P003 P004 P005; do
  [ -s "$work/pred/${p}_mask.nii.gz" ] || fail "no pred/${p}_mask.nii.gz"
done
# A predicted mask is a data set's mask: image and prediction pass fbd's own grid check.
mkdir -p "$work/check_pred"
printf 'image,mask,patient,label\n%s,%s,P000,unknown\n' "$work/data/imagesTr/P000_0000.nii.gz" \
  "$work/pred/P000_mask.nii.gz" >"$work/check_pred/manifest.csv"
"$fbd" check-data "$work/check_pred" >"$work/check_pred.txt" 2>&1 || true
if grep -q "not on one grid\|but its image" "$work/check_pred.txt"; then fail "predicted mask off the image's grid"; fi

# With nibabel present (Debian's python3-nibabel, in /usr/bin/python3 even where another
# python3 comes first on PATH): the written mask has the image's affine and shape exactly.
py=""
for p in /usr/bin/python3 python3; do
  if "$p" -c "import nibabel" 2>/dev/null; then py="$p"; break; fi
done
if [ -z "$py" ]; then
  echo "volume_integration: nibabel not found: the cross-check of the written mask with nibabel is skipped"
else
  "$py" - "$work/data/imagesTr/P002_0000.nii.gz" "$work/pred/P002_mask.nii.gz" <<'PY' || fail "nibabel disagrees"
import sys, nibabel as nib, numpy as np
img, msk = nib.load(sys.argv[1]), nib.load(sys.argv[2])
assert img.shape == msk.shape, (img.shape, msk.shape)
assert np.allclose(img.affine, msk.affine, atol=1e-5), (img.affine, msk.affine)
assert img.header.get_qform(coded=True)[1] == msk.header.get_qform(coded=True)[1]
assert img.header.get_sform(coded=True)[1] == msk.header.get_sform(coded=True)[1]
v = np.unique(np.asarray(msk.dataobj))
assert set(v.tolist()) <= {0, 1}, v
PY
fi

# DICOM in, NIfTI out: a series folder, and one series of a folder holding two.
"$fbd" predict --model "$work/run" --input "$fixtures/dicom/series_a" --out "$work/pred_dcm" --device cpu \
  >"$work/predict_dcm.txt"
[ -s "$work/pred_dcm/series_a_mask.nii.gz" ] || fail "no mask for the DICOM series: $(cat "$work/predict_dcm.txt")"
if "$fbd" predict --model "$work/run" --input "$fixtures/dicom/series_mixed" --out "$work/pred_mixed" --device cpu \
  >"$work/mixed.txt" 2>&1; then
  fail "predict chose a series by itself"
fi
grep -q "fbd: error: .*series_mixed: 2 DICOM series in this folder: .*--series UID" "$work/mixed.txt" ||
  fail "several series: $(cat "$work/mixed.txt")"
[ ! -e "$work/pred_mixed" ] || fail "a refused predict created its output folder"
"$fbd" predict --model "$work/run" --input "$fixtures/dicom/series_mixed" --series 1.2.826.0.1.3680043.8.498.22 \
  --out "$work/pred_mixed" --device cpu >/dev/null
[ -s "$work/pred_mixed/series_mixed_mask.nii.gz" ] || fail "--series wrote no mask"
if [ -n "$py" ]; then
  "$py" - "$work/pred_dcm/series_a_mask.nii.gz" "$work/pred_mixed/series_mixed_mask.nii.gz" <<'PY' || fail "DICOM masks"
import sys, nibabel as nib
a, b = nib.load(sys.argv[1]), nib.load(sys.argv[2])
assert a.shape == (8, 6, 5), a.shape
assert b.shape[2] == 2, b.shape  # the second series has 2 slices
PY
fi

# A truncated volume: one line, and no output for it.
head -c 300 "$work/data/imagesTr/P001_0000.nii.gz" >"$work/broken_0000.nii.gz"
if "$fbd" predict --model "$work/run" --input "$work/broken_0000.nii.gz" --out "$work/pred_broken" --device cpu \
  >"$work/broken.txt" 2>&1; then
  fail "predict accepted a truncated volume"
fi
grep -q "fbd: error: .*broken_0000.nii.gz" "$work/broken.txt" || fail "truncated volume: $(cat "$work/broken.txt")"
[ ! -e "$work/pred_broken/broken_mask.nii.gz" ] || fail "a mask was written for a truncated volume"
# DCE phases as channels: a pre-contrast and two post-contrast phases per patient (nnU-Net's
# _0000, _0001, _0002), trained on the subtraction image and the first post phase.
"$fbd" synth --out "$work/dce" --format nifti --phases 3 --patients 4 --slices-per-patient 3 --size 64 --seed 5 \
  >"$work/synth_dce.txt"
grep -q "3 DCE phases per patient" "$work/synth_dce.txt" || fail "synth --phases: $(cat "$work/synth_dce.txt")"
[ -s "$work/dce/imagesTr/P003_0002.nii.gz" ] || fail "no imagesTr/P003_0002.nii.gz"
"$fbd" check-data "$work/dce" --channels 1-0,1 >"$work/check_dce.txt"
grep -q "input channels: 2 (--channels 1-0,1)" "$work/check_dce.txt" || fail "check-data --channels: $(cat "$work/check_dce.txt")"
grep -Eq "P001 +P001 +64x64x3 +2 \(1-0,1 of 3\)" "$work/check_dce.txt" ||
  fail "check-data's DCE row: $(grep P001 "$work/check_dce.txt" | head -1)"
"$fbd" train --data "$work/dce" --out "$work/run_dce" --channels 1-0,1 --epochs 1 --size 32 --width 4 --batch 4 \
  --device cpu >"$work/train_dce.txt"
grep -q '"channels": "1-0,1"' "$work/run_dce/config.json" || fail "config.json does not record --channels"
grep -q '"in_channels": 2' "$work/run_dce/config.json" || fail "config.json does not record the input channels"
"$fbd" eval --model "$work/run_dce" --device cpu >"$work/eval_dce.txt"
[ -s "$work/run_dce/eval_volumes.csv" ] || fail "eval on DCE volumes wrote no eval_volumes.csv"
# predict groups each case's channel files into one volume and names the mask after the case.
"$fbd" predict --model "$work/run_dce" --input "$work/dce" --out "$work/pred_dce" --device cpu >"$work/predict_dce.txt"
grep -q "fbd predict: 4 volumes" "$work/predict_dce.txt" || fail "predict on DCE: $(cat "$work/predict_dce.txt")"
[ -s "$work/pred_dce/P002_mask.nii.gz" ] || fail "no pred_dce/P002_mask.nii.gz"
[ ! -e "$work/pred_dce/P002_0001_mask.nii.gz" ] || fail "a channel file was predicted as a volume of its own"
# A 4-D DICOM series (3 phases at each position) is read as 3 channels, as the DCE phantom's.
"$fbd" predict --model "$work/run_dce" --input "$fixtures/dicom/dce_series" --out "$work/pred_dce_dcm" --device cpu \
  >"$work/predict_dce_dcm.txt"
[ -s "$work/pred_dce_dcm/dce_series_mask.nii.gz" ] || fail "no mask for the 4-D DICOM series: $(cat "$work/predict_dce_dcm.txt")"
# A gap in a case's channel files: one line naming the file and the missing channel.
mkdir -p "$work/gap"
cp "$work/dce/imagesTr/P000_0000.nii.gz" "$work/dce/imagesTr/P000_0002.nii.gz" "$work/gap/"
if "$fbd" predict --model "$work/run_dce" --input "$work/gap" --out "$work/pred_gap" --device cpu >"$work/gap.txt" 2>&1; then
  fail "predict accepted a gap in the channel files"
fi
grep -q "fbd: error: .*P000_0000.nii.gz: no channel file _0001 beside it, though P000_0002.nii.gz is there" \
  "$work/gap.txt" || fail "channel gap: $(cat "$work/gap.txt")"
[ ! -e "$work/pred_gap" ] || fail "a refused predict created its output folder"
# A one-channel volume does not fit the run's channels, and a one-channel run does not fit the
# DCE set: one line each, nothing written.
if "$fbd" predict --model "$work/run_dce" --input "$work/data/imagesTr/P000_0000.nii.gz" --out "$work/pred_wrong" \
  --device cpu >"$work/wrong.txt" 2>&1; then
  fail "predict accepted a volume without the run's channels"
fi
grep -q "fbd: error: .*P000_0000.nii.gz: --channels 1-0,1 needs channel 1, but the image has 1 channel (0)" \
  "$work/wrong.txt" || fail "wrong channels: $(cat "$work/wrong.txt")"
[ ! -e "$work/pred_wrong" ] || fail "a refused predict created its output folder"
if "$fbd" eval --model "$work/run" --data "$work/dce" --device cpu >"$work/wrong_eval.txt" 2>&1; then
  fail "eval ran a one-channel network on three channels"
fi
grep -q "fbd: error: .*gives 3 input channel(s) (--channels all) but the run's fbdnet was trained on 1" \
  "$work/wrong_eval.txt" || fail "eval channels: $(cat "$work/wrong_eval.txt")"

echo "volume_integration: ok"
