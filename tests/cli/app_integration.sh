#!/usr/bin/env bash
# The app end to end as a user runs it, on a tiny phantom on the CPU: synth, train, eval,
# predict. Asserts that held-out Dice rises well above where it started and that every output
# exists and parses. Usage: app_integration.sh FBD WORKDIR
set -euo pipefail
fbd="$1"
work="$2"
fail() { echo "app_integration: FAIL: $*" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work"

"$fbd" synth --out "$work/data" --patients 8 --slices-per-patient 4 --size 64 --seed 2 >/dev/null
"$fbd" train --data "$work/data" --out "$work/run" --epochs 40 --size 32 --width 8 --batch 4 --device cpu

run="$work/run"
for f in config.json metrics.csv log.txt last.safetensors best.safetensors report.html; do
  [ -s "$run/$f" ] || fail "missing or empty $run/$f"
done
grep -q '"format": "fbd-run-1"' "$run/config.json" || fail "config.json is not an fbd run configuration"
grep -q '</html>' "$run/report.html" || fail "report.html is incomplete"
grep -q '<svg' "$run/report.html" || fail "report.html has no charts"
grep -q 'data:image/png;base64' "$run/report.html" || fail "report.html has no overlays"

# metrics.csv: 41 lines of 16 fields; held-out Dice of the last epoch well above the first's.
awk -F, 'NF != 16 { exit 1 }' "$run/metrics.csv" || fail "metrics.csv rows do not all have 16 fields"
[ "$(wc -l < "$run/metrics.csv")" -eq 41 ] || fail "metrics.csv should hold a header and 40 epochs"
col=$(head -1 "$run/metrics.csv" | tr , '\n' | grep -n '^test_dice$' | cut -d: -f1)
first=$(awk -F, -v c="$col" 'NR == 2 { print $c }' "$run/metrics.csv")
last=$(awk -F, -v c="$col" 'END { print $c }' "$run/metrics.csv")
echo "app_integration: held-out Dice $first -> $last"
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b >= 0.35 && b >= a + 0.2) }' || fail "held-out Dice did not rise enough ($first -> $last)"

"$fbd" eval --model "$run" --device cpu >"$work/eval.txt"
[ -s "$run/eval.csv" ] || fail "eval wrote no eval.csv"
grep -q '^mean,' "$run/eval.csv" || fail "eval.csv has no mean row"
awk -F, 'NR > 1 && NF != 9 { exit 1 }' "$run/eval.csv" || fail "eval.csv rows do not all have 9 fields"

"$fbd" predict --model "$run" --input "$work/data" --out "$work/pred" --largest --device cpu
[ "$(ls "$work/pred" | grep -c '_mask.png$')" -eq 32 ] || fail "predict should write 32 masks"
[ "$(ls "$work/pred" | grep -c '_overlay.png$')" -eq 32 ] || fail "predict should write 32 overlays"

# Resuming a finished run says so instead of doing anything.
if "$fbd" train --resume "$run" 2>"$work/resume.txt"; then fail "resuming a finished run should fail"; fi
grep -q 'already trained for 40 of 40 epochs' "$work/resume.txt" || fail "unclear message: $(cat "$work/resume.txt")"
echo "app_integration: OK"
