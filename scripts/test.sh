#!/usr/bin/env bash
# Builds fbd and runs its whole test suite (the README's test command).
#   scripts/test.sh              default build (CUDA backend where nvcc is found) in build/
#   scripts/test.sh --cpu-only   FBD_CUDA=OFF build in build-cpu/
#   scripts/test.sh --sanitize   CPU-only clang build with AddressSanitizer + UBSan in build-asan/
#                                (the libFuzzer harnesses of scripts/fuzz.sh are built there too)
# GPU tests report SKIPPED where no usable GPU is present; everything else must pass.
set -euo pipefail
source "$(dirname "$0")/common.sh"
"$root/scripts/install-deps.sh"

mode="${1:-default}"
case "$mode" in
  default)    dir="$root/build";      args=(-DCMAKE_BUILD_TYPE=Release -DFBD_CUDA=AUTO -DCMAKE_CUDA_ARCHITECTURES="$(cuda_archs)") ;;
  --cpu-only) dir="$root/build-cpu";  args=(-DCMAKE_BUILD_TYPE=Release -DFBD_CUDA=OFF) ;;
  --sanitize) dir="$sanitize_dir" ;;  # configured by configure_sanitize_tree (scripts/common.sh)
  *) echo "test.sh: unknown option $mode (expected --cpu-only or --sanitize)" >&2; exit 2 ;;
esac

if [ "$mode" = --sanitize ]; then configure_sanitize_tree; else cmake -S "$root" -B "$dir" "${args[@]}" >/dev/null; fi
cmake --build "$dir" -j "$jobs"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
# Leaks inside GDCM's and OpenJPEG's decoders on corrupt files (the fuzz regressions replayed by
# fbd_fuzz_replay), which fbd cannot free: tests/fuzz/lsan.supp lists each.
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/tests/fuzz/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# ctest runs "$jobs" test binaries at once, each with as many OpenMP threads as there are cores;
# libgomp's default spin-waiting then burns the cores the other binaries need (fbd_tests_apps
# took 13 s alone and 83 s beside another binary on CI's 2 cores; a contended pair 23 s, 19 s
# with passive waiting).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
cd "$dir"
ctest --output-on-failure -j "$jobs"
# ctest lists a skipped test without its output: print each skipped binary's reason.
grep -h "^SKIPPED:" Testing/Temporary/LastTest.log 2>/dev/null | sort -u || true
# Say which device the GPU tests would have used (or why they were skipped).
"$dir/fbd" info | tail -1
