#!/usr/bin/env bash
# The one prepared check for a machine with a GPU (docs/GPU.md): configure and build for sm_90,
# then run, each step under its own time limit, the GPU tests, the kernel walkthrough checks,
# compute-sanitizer (memcheck on the GPU tests, racecheck and synccheck on the loss and
# reduction kernels), a quick CPU subset and the comparisons beside PyTorch, SciPy and CuPy.
# Everything goes to one log, which ends with one PASS / FAIL / SKIP line per step.
#
#   scripts/gpu-check.sh [--budget SECONDS] [--steps ID,ID..] [--build-dir DIR] [--dry-run]
#
# With the device tool: here, run scripts/fetch-gpu-deps.sh once; then
#   run(command="scripts/gpu-check.sh", carry=[".gpu-deps"], timeout_s=540)
# The log is $OUT/gpu-check.log ($OUT unset: gpu-check-logs/), each step's output also in
# $OUT/steps/ID.log, the comparison tables in $OUT/compare_*.json.
#
# What PASS means: the step ran and its output shows it did its work. A GPU test that exits
# 77 (no usable GPU) is a failure here (FBD_REQUIRE_GPU=1), and so is a ctest step whose
# output lists a skipped or not-run test, or no tests at all, or a doctest run of zero test
# cases. A step that does not start is SKIP with the reason: a step it needs did not pass, a
# tool is missing, or the time left in the budget (default 470 s, so the run ends within
# 8 minutes) is below the step's limit. The exit status is 1 when a step failed or a required
# step (configure, build, GPU tests, walkthroughs) did not run.
#
# --dry-run (or FBD_GPU_CHECK_DRY=1) replaces each step's command by a short sleep and a canned
# transcript, to test the budget, verdict and summary logic on a machine without a GPU
# (tests/cli/gpu_check.cmake). Its knobs: FBD_GPU_CHECK_DRY_FAIL and FBD_GPU_CHECK_DRY_HANG
# (step ids, comma-separated, that exit 1 or never return), FBD_GPU_CHECK_DRY_CTEST=
# pass|skipped|none and FBD_GPU_CHECK_DRY_SANITIZER=clean|errors|empty (the transcripts),
# FBD_GPU_CHECK_DRY_SLEEP (seconds per step, default 0.1) and FBD_GPU_CHECK_DRY_LIMIT (replaces
# every step's limit).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

dry="${FBD_GPU_CHECK_DRY:-0}"
budget="${FBD_GPU_CHECK_BUDGET:-470}"
only=""
build="$root/build-gpu"
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry=1 ;;
    --budget | --steps | --build-dir)
      [ $# -ge 2 ] || { echo "gpu-check: $1 needs a value" >&2; exit 2; }
      case "$1" in --budget) budget="$2" ;; --steps) only="$2" ;; --build-dir) build="$2" ;; esac
      shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "gpu-check: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[[ "$budget" =~ ^[0-9]+$ ]] || { echo "gpu-check: --budget takes whole seconds, not '$budget'" >&2; exit 2; }
[ "$dry" = 1 ] || dry=0

out="${OUT:-$root/gpu-check-logs}"
mkdir -p "$out/steps"
exec 3>&1 4>&2
exec > >(tee "$out/gpu-check.log") 2>&1
tee_pid=$!
close_log() {
  exec 1>&3 2>&4
  wait "$tee_pid" 2>/dev/null || true
}
trap close_log EXIT

now_ms() { date +%s%3N; }
start_ms=$(now_ms)
elapsed_s() { echo $((($(now_ms) - start_ms) / 1000)); }

jobs="$(nproc)"
export FBD_REQUIRE_GPU=1  # a GPU test without a usable GPU is a failure here, not a skip
export root build out jobs dry
echo "gpu-check: $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(uname -n), $jobs cores, budget $budget s$([ "$dry" = 1 ] && echo ', DRY RUN: no step runs its real command')"

# ---- verdicts ----------------------------------------------------------------------------
# A checker reads the step's exit status and output and prints one line of detail; its own
# status is the verdict (0 PASS, 1 FAIL).

join_lines() { awk 'NR > 1 { printf ", " } { printf "%s", $0 }'; }

exit_detail() {  # exit_detail RC LIMIT
  case "$1" in
    124 | 137) echo "timed out after $2 s" ;;
    *) echo "exit $1" ;;
  esac
}

check_exit() {  # check_exit RC LOG LIMIT
  [ "$1" -eq 0 ] && { echo "exit 0"; return 0; }
  exit_detail "$1" "$3"
  return 1
}

# ctest: exit 0, at least MIN tests, every one of them run and passed.
check_ctest() {  # check_ctest MIN RC LOG LIMIT
  local min="$1" rc="$2" log="$3" limit="$4" total
  if [ "$rc" -ne 0 ]; then
    local which
    which=$(grep -E '^[[:space:]]*[0-9]+ - .*\((Failed|Timeout|Not Run|Skipped|SEGFAULT|Exception|Child aborted)' "$log" |
      sed 's/^[[:space:]]*//' | join_lines || true)
    local gpu
    gpu=$(grep -o -m1 'no usable CUDA GPU: .*' "$log" || true)
    if [ -z "$which" ] && { [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; }; then
      which=$(grep -E '^ *Start +[0-9]+: ' "$log" | tail -1 | sed -E 's/^ *Start +[0-9]+: (.*)/running \1/' || true)
    fi
    if grep -q "No tests were found" "$log"; then echo "ctest ran no tests"; else
      echo "$(exit_detail "$rc" "$limit")${which:+: $which}${gpu:+ ($gpu)}"
    fi
    return 1
  fi
  if grep -qE '\*\*\*Skipped|\(Skipped\)|Not Run|\(Disabled\)' "$log"; then
    echo "ctest skipped or did not run: $(grep -E '^[[:space:]]*[0-9]+ - ' "$log" | sed 's/^[[:space:]]*//' | join_lines)"
    return 1
  fi
  total=$(sed -nE 's/.*tests passed, 0 tests failed out of ([0-9]+).*/\1/p' "$log" | tail -1)
  if [ -z "$total" ]; then echo "no ctest summary line in the output"; return 1; fi
  if [ "$total" -lt "$min" ]; then echo "ctest ran $total tests, expected at least $min"; return 1; fi
  if ! check_doctest_lines "$log"; then return 1; fi
  echo "$total tests passed"
}

# Every doctest summary in the log shows test cases run, all passed.
check_doctest_lines() {  # check_doctest_lines LOG  (prints a reason and returns 1 on failure)
  local line ran passed failed
  while IFS= read -r line; do
    ran=$(sed -nE 's/.*test cases: *([0-9]+) *\|.*/\1/p' <<<"$line")
    passed=$(sed -nE 's/.*\| *([0-9]+) passed.*/\1/p' <<<"$line")
    failed=$(sed -nE 's/.*\| *([0-9]+) failed.*/\1/p' <<<"$line")
    if [ "${ran:-0}" -eq 0 ] || [ "${failed:-1}" -ne 0 ] || [ "${passed:-0}" -ne "$ran" ]; then
      echo "doctest: $(sed -E 's/.*\[doctest\] //' <<<"$line")"
      return 1
    fi
  done < <(grep -E '\[doctest\] test cases:' "$1" || true)
  return 0
}

# compute-sanitizer over a doctest binary: exit 0, "ERROR SUMMARY: 0 errors", and a doctest
# summary with at least one test case, all passed (a filter that matches nothing runs none).
check_sanitizer() {  # check_sanitizer RC LOG LIMIT
  local rc="$1" log="$2" limit="$3" summary cases
  summary=$(grep -E 'ERROR SUMMARY: [0-9]+ error' "$log" | tail -1 | sed -E 's/.*(ERROR SUMMARY: [0-9]+ errors?).*/\1/')
  cases=$(grep -E '\[doctest\] test cases:' "$log" | tail -1 | sed -E 's/.*\[doctest\] //')
  if [ "$rc" -ne 0 ]; then echo "$(exit_detail "$rc" "$limit")${summary:+, $summary}${cases:+, $cases}"; return 1; fi
  if [ -z "$summary" ]; then echo "no compute-sanitizer ERROR SUMMARY in the output"; return 1; fi
  if [ "$summary" != "ERROR SUMMARY: 0 errors" ]; then echo "$summary"; return 1; fi
  if [ -z "$cases" ]; then echo "no doctest summary in the output"; return 1; fi
  if ! check_doctest_lines "$log"; then return 1; fi
  echo "0 errors; $cases"
}

# ---- steps -------------------------------------------------------------------------------

declare -A verdict=()
summary=()
required_missing=()

in_selection() { [ -z "$only" ] || [[ ",$only," == *",$1,"* ]]; }

# run_step ID LIMIT NEEDS CHECKER DESCRIPTION FUNCTION
#   NEEDS: comma-separated ids that must have passed (a step outside --steps counts as done).
#   CHECKER: check_exit, check_sanitizer or "check_ctest MIN".
run_step() {
  local id="$1" limit="$2" needs="$3" checker="$4" what="$5" fn="$6"
  local line reason="" n rc=0 detail t0 took log="$out/steps/$1.log"
  [ -n "${FBD_GPU_CHECK_DRY_LIMIT:-}" ] && [ "$dry" = 1 ] && limit="$FBD_GPU_CHECK_DRY_LIMIT"
  if ! in_selection "$id"; then
    verdict[$id]=UNSELECTED
    return 0
  fi
  for n in ${needs//,/ }; do
    case "${verdict[$n]:-UNSELECTED}" in
      PASS | UNSELECTED) ;;
      *) reason="needs $n, which did not pass"; break ;;
    esac
  done
  if [ -z "$reason" ] && [ -n "${skip_reason[$id]:-}" ]; then reason="${skip_reason[$id]}"; fi
  local left=$((budget - $(elapsed_s)))
  if [ -z "$reason" ] && [ "$left" -lt "$limit" ]; then reason="budget: ${left} s left, the step may take ${limit} s"; fi
  if [ -n "$reason" ]; then
    verdict[$id]=SKIP
    line=$(printf 'SKIP  %-14s %s (%s)' "$id" "$what" "$reason")
    summary+=("$line")
    echo
    echo "=== [$(elapsed_s) s] $line"
    return 0
  fi
  echo
  echo "=== [$(elapsed_s) s] $id: $what (limit $limit s)"
  t0=$(now_ms)
  local cmd="$fn"
  [ "$dry" = 1 ] && cmd="dry_step $id"
  set +e
  timeout -k 10 "$limit" bash -c "$cmd" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  set -e
  took=$((($(now_ms) - t0) / 1000))
  if detail=$($checker "$rc" "$log" "$limit"); then verdict[$id]=PASS; else verdict[$id]=FAIL; fi
  line=$(printf '%-4s  %-14s %s (%d s): %s' "${verdict[$id]}" "$id" "$what" "$took" "$detail")
  summary+=("$line")
  echo "--- $line"
}

declare -A skip_reason=()

# The carried Debian packages (.gpu-deps/, scripts/fetch-gpu-deps.sh), unpacked into a private
# prefix, never into /: with dpkg where there is one, else with Python (tarfile reads the xz
# data member itself), else with ar and tar.
step_deps() {
  set -euo pipefail
  local prefix=/tmp/fbd-deps f how=ar
  mkdir -p "$prefix"
  if command -v dpkg >/dev/null; then
    how=dpkg
  elif python3 -c "import lzma, tarfile" 2>/dev/null; then
    how=python
  fi
  echo "unpacking with $how"
  for f in "$root"/.gpu-deps/*.deb; do
    case "$how" in
      dpkg) dpkg -x "$f" "$prefix" ;;
      python)
        python3 - "$f" "$prefix" <<'EOF'
import io, sys, tarfile
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"!<arch>\n", "not a .deb"
pos = 8
while pos < len(data):
    name, size = data[pos:pos + 16].decode().strip().rstrip("/"), int(data[pos + 48:pos + 58])
    body = data[pos + 60:pos + 60 + size]
    if name.startswith("data.tar"):
        archive = tarfile.open(fileobj=io.BytesIO(body), mode="r:*")
        try:
            archive.extractall(sys.argv[2], filter="fully_trusted")  # our own packages: links as they are
        except TypeError:  # a Python without extraction filters
            archive.extractall(sys.argv[2])
        break
    pos += 60 + size + (size & 1)
else:
    sys.exit(f"{sys.argv[1]}: no data.tar member")
EOF
        ;;
      ar)
        local member z
        member=$(ar t "$f" | grep '^data\.tar')
        case "$member" in *.xz) z=-J ;; *.gz) z=-z ;; *.zst) z=--zstd ;; *.bz2) z=-j ;; *) z= ;; esac
        ar p "$f" "$member" | tar -x $z -f - -C "$prefix"
        ;;
    esac
  done
  echo "unpacked into $prefix: $(cd "$prefix/usr/include" && echo *)"
}

step_configure() {
  set -uo pipefail
  echo "--- machine"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,compute_cap --format=csv 2>&1 || echo "nvidia-smi: not usable"
  local nvcc
  nvcc=$(command -v nvcc || echo "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc")
  "$nvcc" --version 2>&1 | tail -2 || echo "nvcc: not found"
  cmake --version | head -1
  c++ --version | head -1
  python3 -c "import torch; print('torch', torch.__version__, 'CUDA', torch.version.cuda, 'cuDNN', torch.backends.cudnn.version())" 2>&1 | tail -1
  echo "--- cmake"
  local gen=()
  [ -f "$build/CMakeCache.txt" ] || ! command -v ninja >/dev/null || gen=(-G Ninja)
  [ -x "$nvcc" ] && gen+=(-DCMAKE_CUDA_COMPILER="$nvcc")
  cmake -S "$root" -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DFBD_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES="${FBD_CUDA_ARCHS:-90}" || return 1
}

check_configure() {  # the cuDNN line of the configure output is the detail
  local line
  line=$(sed -nE 's/.*-- fbd: (CUDA .*cuDNN.*)/\1/p' "$2" | tail -1)
  [ "$1" -eq 0 ] || { exit_detail "$1" "$3"; return 1; }
  [ -n "$line" ] || { echo "configured, but without the CUDA backend"; return 1; }
  echo "$line"
}

build_targets=(fbd fbd_bench fbd_tests_gpu fbd_tests_gpu_fault fbd_walkthrough_dice fbd_walkthrough_edt fbd_tests_kernels)
export build_targets_str="${build_targets[*]}"
step_build() {
  set -euo pipefail
  # shellcheck disable=SC2086
  cmake --build "$build" -j "$jobs" --target $build_targets_str
  echo "--- run-time libraries (cuDNN from its RPATH entry; none may be missing)"
  local bin missing=0
  for bin in "$build/tests/fbd_tests_gpu" "$build/bench/fbd_bench" "$build/fbd"; do
    ldd "$bin" | grep -E 'cudnn|cublas|cudart|openblas|benchmark' | sed "s|^|$(basename "$bin"): |"
    if ldd "$bin" | grep -q 'not found'; then
      ldd "$bin" | grep 'not found' | sed "s|^|$(basename "$bin"): |"
      missing=1
    fi
  done
  return $missing
}

step_gpu_tests() { cd "$build" && ctest -L gpu -E '^fbd_walkthrough_' --no-tests=error -V; }
step_walkthrough() { cd "$build" && ctest -R '^fbd_walkthrough_' --no-tests=error -V; }
step_cpu() { cd "$build" && ctest -R '^(fbd_tests_kernels|cli_info)$' --no-tests=error --output-on-failure -j "$jobs"; }

# Sanitizer runs of the GPU test binary. memcheck leaves out the cases whose convolutions make
# cuDNN time every algorithm (cudnnFind*: minutes under the sanitizer, and cuDNN's own code);
# racecheck and synccheck look at the loss and reduction kernels, the ones with block-level
# shared-memory reductions.
export memcheck_exclude='*conv2d and conv_transpose2d*,cuDNN: one algorithm search*,modules move to the GPU*'
export loss_reduce_cases='reduce: *,binary_loss: *,structure: *,shape: *,softmax_loss: *,last-block reductions: *'
sanitize() {  # sanitize TOOL DOCTEST-ARGS...
  local tool="$1"
  shift
  "$sanitizer" --tool "$tool" --error-exitcode 1 --print-limit 20 "$build/tests/fbd_tests_gpu" "$@"
}
step_memcheck() { sanitize memcheck "--test-case-exclude=$memcheck_exclude"; }
step_racecheck() { sanitize racecheck "--test-case=$loss_reduce_cases"; }
step_synccheck() { sanitize synccheck "--test-case=$loss_reduce_cases"; }

# The comparison scripts run fbd_bench themselves, each case beside its reference.
compare() {  # compare AREA SCRIPT [args]
  local area="$1" script="$2"
  shift 2
  python3 "$root/bench/$script" --bench "$build/bench/fbd_bench" --device cuda --min-time 0.05 \
    --json-out "$out/compare_$area.json" "$@"
}
step_compare_core() { compare core compare_torch_core.py; }
step_compare_losses() { compare losses compare_torch_losses.py; }
step_compare_layers() { compare layers compare_torch_layers.py; }
step_compare_edt() { compare edt compare_scipy_edt.py; }
step_compare_app() { compare app compare_torch_app.py --min-time 0.3; }
step_bench() {
  "$build/bench/fbd_bench" --benchmark_filter=cuda/ --benchmark_min_time=0.05 \
    --benchmark_out="$out/bench.json" --benchmark_out_format=json
}

# ---- dry run: canned transcripts ---------------------------------------------------------

dry_listed() { [[ ",${2:-}," == *",$1,"* ]]; }
dry_ctest() {  # dry_ctest NAME...
  local mode="${FBD_GPU_CHECK_DRY_CTEST:-pass}" i=0 n=$#
  echo "Test project $build"
  if [ "$mode" = none ]; then echo "No tests were found!!!"; return 8; fi
  for name in "$@"; do
    i=$((i + 1))
    echo "    Start $((i + 10)): $name"
    if [ "$mode" = skipped ]; then
      echo "SKIPPED: the GPU tests need a usable CUDA GPU: no CUDA-capable device is detected"
      printf '%d/%d Test #%d: %s ....   ***Skipped   0.31 sec\n' "$i" "$n" $((i + 10)) "$name"
    else
      [[ "$name" != fbd_tests_* ]] || echo "[doctest] test cases: 12 | 12 passed | 0 failed | 0 skipped"
      printf '%d/%d Test #%d: %s ....   Passed   1.20 sec\n' "$i" "$n" $((i + 10)) "$name"
    fi
  done
  echo
  echo "100% tests passed, 0 tests failed out of $n"
  if [ "$mode" = skipped ]; then
    echo
    echo "The following tests did not run:"
    i=0
    for name in "$@"; do i=$((i + 1)); printf '\t %d - %s (Skipped)\n' $((i + 10)) "$name"; done
  fi
}
dry_sanitizer() {
  local mode="${FBD_GPU_CHECK_DRY_SANITIZER:-clean}"
  echo "========= COMPUTE-SANITIZER"
  echo "GPU tests on cuda:0 = NVIDIA H200 (dry run)"
  case "$mode" in
    empty) echo "[doctest] test cases: 0 | 0 passed | 0 failed | 14 skipped" ;;
    *) echo "[doctest] test cases: 5 | 5 passed | 0 failed | 9 skipped" ;;
  esac
  echo "[doctest] Status: SUCCESS!"
  if [ "$mode" = errors ]; then echo "========= ERROR SUMMARY: 3 errors"; else echo "========= ERROR SUMMARY: 0 errors"; fi
}
dry_step() {
  local id="$1"
  sleep "${FBD_GPU_CHECK_DRY_SLEEP:-0.1}"
  if dry_listed "$id" "${FBD_GPU_CHECK_DRY_HANG:-}"; then sleep 3600; fi
  case "$id" in
    configure) echo "-- fbd: CUDA 13.0.88, architectures 90, cuDNN 9.19.0 from the Python wheel (python3): /dry/libcudnn.so.9" ;;
    gpu-tests) dry_ctest fbd_tests_gpu fbd_tests_gpu_fault || return ;;
    walkthrough) dry_ctest fbd_walkthrough_dice_check fbd_walkthrough_edt_check || return ;;
    cpu) dry_ctest fbd_tests_kernels cli_info || return ;;
    memcheck | racecheck | synccheck) dry_sanitizer ;;
    *) echo "dry run of $id" ;;
  esac
  if dry_listed "$id" "${FBD_GPU_CHECK_DRY_FAIL:-}"; then
    echo "dry run: $id fails on purpose"
    return 1
  fi
}

export -f step_deps step_configure step_build step_gpu_tests step_walkthrough step_cpu sanitize step_memcheck \
  step_racecheck step_synccheck compare step_compare_core step_compare_losses step_compare_layers step_compare_edt \
  step_compare_app step_bench dry_listed dry_ctest dry_sanitizer dry_step
export memcheck_exclude loss_reduce_cases

# ---- the run -----------------------------------------------------------------------------

# What is missing on this machine decides some skips up front (a dry run pretends all is there).
sanitizer=""
torch_cuda=0
have_scipy=0
if [ "$dry" = 1 ]; then
  sanitizer=compute-sanitizer torch_cuda=1 have_scipy=1
  [ -d "$root/.gpu-deps" ] || skip_reason[deps]="no .gpu-deps/ carried here"
else
  sanitizer=$(command -v compute-sanitizer || true)
  for c in "${CUDA_HOME:-/usr/local/cuda}/bin/compute-sanitizer" /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
    [ -n "$sanitizer" ] || { [ -x "$c" ] && sanitizer="$c"; } || true
  done
  python3 -c "import torch; assert torch.cuda.is_available()" >/dev/null 2>&1 && torch_cuda=1
  python3 -c "import scipy" >/dev/null 2>&1 && have_scipy=1
  if ! [ -d "$root/.gpu-deps" ]; then
    skip_reason[deps]="no .gpu-deps/ carried here (scripts/fetch-gpu-deps.sh)"
  elif [ -f /usr/include/doctest/doctest.h ]; then
    skip_reason[deps]="the Debian packages are installed here"
  fi
fi
export sanitizer
for t in memcheck racecheck synccheck; do
  [ -n "$sanitizer" ] || skip_reason[$t]="compute-sanitizer not found"
done
if [ "$torch_cuda" = 1 ]; then
  [ "$have_scipy" = 1 ] || skip_reason[compare-edt]="SciPy is not importable"
  skip_reason[bench]="PyTorch with CUDA is here: the comparisons time the same cases"
else
  for t in compare-core compare-losses compare-layers compare-edt compare-app; do
    skip_reason[$t]="no PyTorch with CUDA here"
  done
fi

run_step deps 60 "" check_exit "unpack the carried Debian packages" step_deps
if [ "${verdict[deps]}" = PASS ] && [ "$dry" = 0 ]; then
  prefix=/tmp/fbd-deps
  export CMAKE_PREFIX_PATH="$prefix/usr${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
  export LD_LIBRARY_PATH="$prefix/usr/lib/x86_64-linux-gnu:$prefix/usr/lib/x86_64-linux-gnu/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
# The deps step may be skipped (packages installed, or nothing carried): configure says
# whether they are really there.
verdict[deps]=$([ "${verdict[deps]}" = FAIL ] && echo FAIL || echo PASS)
run_step configure 90 deps check_configure "configure $(basename "$build") for sm_${FBD_CUDA_ARCHS:-90} (GPU, nvcc, cuDNN)" step_configure
run_step build 300 configure check_exit "build the GPU tests, walkthroughs, fbd, fbd_bench" step_build
run_step gpu-tests 150 build "check_ctest 2" "GPU tests (ctest -L gpu, FBD_REQUIRE_GPU=1)" step_gpu_tests
run_step walkthrough 90 build "check_ctest 2" "kernel walkthroughs (ctest -R fbd_walkthrough_)" step_walkthrough
run_step memcheck 180 build check_sanitizer "compute-sanitizer memcheck, GPU tests but the cuDNN searches" step_memcheck
run_step racecheck 90 build check_sanitizer "compute-sanitizer racecheck, loss and reduction kernels" step_racecheck
run_step synccheck 60 build check_sanitizer "compute-sanitizer synccheck, loss and reduction kernels" step_synccheck
run_step cpu 60 build "check_ctest 2" "CPU subset: fbd_tests_kernels, fbd info" step_cpu
run_step compare-core 45 build check_exit "core ops beside PyTorch" step_compare_core
run_step compare-losses 45 build check_exit "losses beside PyTorch" step_compare_losses
run_step compare-layers 60 build check_exit "layers beside PyTorch" step_compare_layers
run_step compare-edt 45 build check_exit "EDT and metrics beside SciPy and CuPy" step_compare_edt
run_step compare-app 60 build check_exit "training step beside PyTorch" step_compare_app
run_step bench 60 build check_exit "fbd_bench CUDA cases alone" step_bench

failed=0
for id in configure build gpu-tests walkthrough; do
  if in_selection "$id" && [ "${verdict[$id]}" = SKIP ]; then required_missing+=("$id"); fi
done
echo
echo "=== summary after $(elapsed_s) s (budget $budget s)$([ "$dry" = 1 ] && echo ', DRY RUN')"
printf '%s\n' "${summary[@]}"
if printf '%s\n' "${summary[@]}" | grep -q '^FAIL'; then failed=1; fi
if [ ${#required_missing[@]} -gt 0 ]; then
  echo "gpu-check: required steps did not run: ${required_missing[*]}"
  failed=1
fi
if [ "$failed" = 1 ]; then
  echo "gpu-check: $([ "$dry" = 1 ] && echo 'DRY RUN (no real command ran): ')FAIL"
  exit 1
fi
echo "gpu-check: $([ "$dry" = 1 ] && echo 'DRY RUN (no real command ran): ')PASS (steps skipped: $(printf '%s\n' "${summary[@]}" | grep -c '^SKIP' || true))"
