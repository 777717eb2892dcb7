#!/usr/bin/env bash
# Fuzzes every file reader of fbd with libFuzzer (docs/FUZZING.md): builds the harnesses of
# tests/fuzz in the sanitizer build, build-asan/ (clang, AddressSanitizer and UBSan, CPU-only, no
# benchmarks: the tree of scripts/test.sh --sanitize, so after it nothing is left to build),
# then runs each for a bounded time from its seeds (tests/fuzz/corpus/<t>/, the past findings in
# tests/fuzz/regressions/<t>/ and, where their Debian packages are installed, nibabel's NIfTI
# and pydicom's DICOM test files, copied into a temporary corpus).
#   scripts/fuzz.sh [--seconds-per-target N] [--runs N] [--seed S] [TARGET...]
#     (default 10 s each, every target, seed 1). --runs N stops each target after N inputs
#     instead (the time stays a cap): with a fixed seed the run is then the same on every
#     machine, so CI's result does not depend on its speed. --seed 0: a new seed each run.
# Exit 1 on any finding (a crash, a sanitizer report, an exception other than fbd::Error, a hang
# over 10 s, an allocation over 1 GiB, RSS over 2 GiB), with the reproducer's path; replay it with
#   build-asan/tests/fuzz/fuzz_<t> FILE    or    build-asan/tests/fuzz/fbd_fuzz_replay --target <t> FILE
set -euo pipefail
source "$(dirname "$0")/common.sh"

seconds=10
runs=0
seed=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds-per-target) seconds="$2"; shift 2 ;;
    --seconds-per-target=*) seconds="${1#*=}"; shift ;;
    --runs) runs="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    -*) echo "fuzz.sh: unknown option $1 (expected --seconds-per-target N, --runs N or --seed S)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done

command -v clang++ >/dev/null 2>&1 || "$root/scripts/install-deps.sh"

dir="$sanitize_dir"
configure_sanitize_tree
bin="$dir/tests/fuzz"
if [ ${#targets[@]} -eq 0 ]; then
  cmake --build "$dir" --target fbd_fuzz -j "$jobs"
  for f in "$bin"/fuzz_*; do [ -x "$f" ] && targets+=("${f##*/fuzz_}"); done
else  # only the harnesses asked for (run_config alone needs fbd_app, the longest build)
  cmake --build "$dir" $(printf -- '--target fuzz_%s ' "${targets[@]}") -j "$jobs"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/fbd-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tmp" "$dir/findings"
export TMPDIR="$work/tmp"  # the harnesses' scratch files
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/tests/fuzz/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

extra_seeds() {  # seeds from installed Debian packages, never committed
  case "$1" in
    nifti) ls /usr/lib/python3/dist-packages/nibabel/tests/data/*.nii /usr/lib/python3/dist-packages/nibabel/tests/data/*.nii.gz 2>/dev/null || true ;;
    dicom) ls /usr/lib/python3/dist-packages/pydicom/data/test_files/*.dcm 2>/dev/null || true ;;
  esac
}

failed=()
start=$(date +%s)
for t in "${targets[@]}"; do
  corpus="$work/corpus_$t"
  mkdir -p "$corpus"
  for d in "$root/tests/fuzz/corpus/$t" "$root/tests/fuzz/regressions/$t"; do
    [ -d "$d" ] && find "$d" -maxdepth 1 -type f -exec cp {} "$corpus/" \;
  done
  # nibabel's .nii.gz files are decompressed: fuzz_nifti gzips its input itself.
  while read -r f; do
    [ -n "$f" ] || continue
    case "$f" in
      *.gz) gzip -dc "$f" > "$corpus/pkg_$(basename "${f%.gz}")" 2>/dev/null || true ;;
      *) [ "$(stat -c %s "$f")" -le 1048576 ] && cp "$f" "$corpus/pkg_$(basename "$f")" ;;
    esac
  done < <(extra_seeds "$t")
  log="$work/$t.log"
  if [ "$runs" -gt 0 ]; then
    limits=(-runs="$runs" -max_total_time=$((seconds * 6)))
    echo "fuzz.sh: $t: $(ls "$corpus" | wc -l) seeds, $runs inputs, seed $seed"
  else
    limits=(-max_total_time="$seconds")
    echo "fuzz.sh: $t: $(ls "$corpus" | wc -l) seeds, ${seconds} s, seed $seed"
  fi
  if ! "$bin/fuzz_$t" "${limits[@]}" -seed="$seed" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
       -max_len=65536 -print_final_stats=1 -artifact_prefix="$dir/findings/$t-" \
       "$corpus" >"$log" 2>&1; then
    failed+=("$t")
    tail -n 60 "$log"
    grep -h "Test unit written to" "$log" | sed "s/^/fuzz.sh: $t: reproducer: /" || true
  else
    grep -h "^stat::number_of_executed_units\|^cov:\|#[0-9]*.*DONE" "$log" | tr '\n' ' ' | sed "s/^/fuzz.sh: $t: /; s/$/\n/"
  fi
done
echo "fuzz.sh: ${#targets[@]} targets in $(( $(date +%s) - start )) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: FAIL: findings in ${failed[*]} (reproducers under build-asan/findings/)" >&2
  exit 1
fi
echo "fuzz.sh: PASS"
