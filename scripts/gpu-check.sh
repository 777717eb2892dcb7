#!/usr/bin/env bash
# The one prepared check for a machine with a GPU: configure for sm_90, build, run the GPU
# tests (ctest -L gpu), the rest of the suite, the GPU tests under compute-sanitizer memcheck,
# and the benchmarks beside PyTorch, writing everything to one log. Budget: under 8 minutes
# on an H100 machine with 16 cores.
#
# With the device tool (docs/GPU.md): here, run scripts/fetch-gpu-deps.sh once; then
#   run(command="scripts/gpu-check.sh", carry=[".gpu-deps"], timeout_s=540)
# The log is $OUT/gpu-check.log (gpu-check-logs/ when OUT is unset), with the benchmark JSON
# beside it. The last lines are a PASS/FAIL summary of every step.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${OUT:-$root/gpu-check-logs}"
mkdir -p "$out"
exec > >(tee "$out/gpu-check.log") 2>&1
start=$(date +%s)
jobs=$(nproc)
summary=()

step() {  # step NAME TIMEOUT_S COMMAND...
  local name="$1" limit="$2"
  shift 2
  echo
  echo "=== [$(($(date +%s) - start)) s] $name"
  timeout "$limit" "$@"
  local rc=$?
  if [ $rc -eq 0 ]; then summary+=("PASS  $name"); else summary+=("FAIL  $name (exit $rc$([ $rc -eq 124 ] && echo ', timed out'))"); fi
  return 0
}

# Debian packages carried as .deb files: unpack into a private prefix (never into /).
if [ -d "$root/.gpu-deps" ] && ! [ -f /usr/include/doctest/doctest.h ]; then
  prefix=/tmp/fbd-deps
  mkdir -p "$prefix"
  for f in "$root"/.gpu-deps/*.deb; do dpkg -x "$f" "$prefix"; done
  export CMAKE_PREFIX_PATH="$prefix/usr${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
  export LD_LIBRARY_PATH="$prefix/usr/lib/x86_64-linux-gnu:$prefix/usr/lib/x86_64-linux-gnu/openblas-pthread${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "gpu-check: using the Debian packages unpacked into $prefix"
fi

echo "=== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 || true
nvcc --version | tail -1
cmake --version | head -1
g++ --version | head -1

build="$root/build-gpu"
step "configure (sm_90)" 120 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DFBD_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90
step "build" 300 cmake --build "$build" -j "$jobs"
step "GPU tests (ctest -L gpu)" 180 ctest --test-dir "$build" -L gpu --output-on-failure
step "CPU tests (ctest -LE gpu)" 180 ctest --test-dir "$build" -LE gpu -j "$jobs" --output-on-failure
# The fault-injection binary is left out on purpose: it provokes an illegal address.
step "compute-sanitizer memcheck (fbd_tests_gpu)" 300 compute-sanitizer --tool memcheck --error-exitcode 1 \
  "$build/tests/fbd_tests_gpu"
# The compare scripts run fbd_bench themselves (their own cases, each beside its reference).
if python3 -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
  for area in core losses layers app; do
    step "$area beside PyTorch" 120 python3 "$root/bench/compare_torch_$area.py" --bench "$build/bench/fbd_bench" \
      --device cuda --json-out "$out/compare_$area.json"
  done
  step "EDT beside SciPy and CuPy" 120 python3 "$root/bench/compare_scipy_edt.py" --bench "$build/bench/fbd_bench" \
    --device cuda --json-out "$out/compare_edt.json"
else
  step "benchmarks (no CUDA PyTorch here to compare with)" 180 "$build/bench/fbd_bench" --benchmark_filter=cuda/ \
    --benchmark_min_time=0.1 --benchmark_out="$out/bench.json" --benchmark_out_format=json
fi

echo
echo "=== summary after $(($(date +%s) - start)) s"
printf '%s\n' "${summary[@]}"
printf '%s\n' "${summary[@]}" | grep -q '^FAIL' && exit 1
exit 0
