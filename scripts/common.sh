# Shared by the scripts: where the sources are, how many cores, which CUDA architectures.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="${FBD_JOBS:-$(nproc)}"

# The sanitizer build (scripts/test.sh --sanitize) and the libFuzzer build (scripts/fuzz.sh) are
# one clang build in build-asan/: CPU-only, AddressSanitizer + UBSan, the fbd libraries
# instrumented for libFuzzer's coverage, the harnesses beside the tests. One tree instead of two
# saves CI a whole sanitized compile, and clang compiles it in about half gcc's time (628 against
# 1155 CPU-seconds here); its tests run about 8 % slower (clang's code and the coverage hooks).
sanitize_dir="$root/build-asan"
sanitize_args=(-DCMAKE_BUILD_TYPE=Debug -DFBD_CUDA=OFF -DFBD_SANITIZE=ON -DFBD_FUZZ=ON -DFBD_BUILD_BENCH=OFF
               -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++)
# Configures that tree. A build-asan/ made by gcc (before 2026-12-02) is configured afresh: CMake
# would first reconfigure it with gcc, which FBD_FUZZ refuses.
configure_sanitize_tree() {
  local cache="$sanitize_dir/CMakeCache.txt"
  if [ -f "$cache" ] && ! grep -q "^CMAKE_CXX_COMPILER:[A-Z]*=.*clang" "$cache"; then
    echo "scripts: $sanitize_dir was configured with another compiler; configuring it afresh with clang"
    rm -rf "$cache" "$sanitize_dir/CMakeFiles"
  fi
  cmake -S "$root" -B "$sanitize_dir" "${sanitize_args[@]}" >/dev/null
}

# CUDA architectures: FBD_CUDA_ARCHS wins; else the GPU's own where one is visible; else
# sm_90 alone, which is enough to prove the CUDA code compiles on a machine without a GPU
# and takes half the nvcc time of the release pair (80-real;90).
cuda_archs() {
  if [ -n "${FBD_CUDA_ARCHS:-}" ]; then
    echo "$FBD_CUDA_ARCHS"
  elif command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    echo native
  else
    echo 90
  fi
}

# Debian's OpenBLAS 0.3.21 picks its kernels by CPU model and runs generic SSE3 ones, 4-6x slower,
# on CPUs newer than it (Emerald Rapids). Builds with oneDNN do not use it for GEMMs, but the
# sanitizer build does: where nobody has chosen, name the kernel family the CPU's features allow.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && [ -r /proc/cpuinfo ]; then
  if grep -qw avx512f /proc/cpuinfo; then
    export OPENBLAS_CORETYPE=SkylakeX
  elif grep -qw avx2 /proc/cpuinfo; then
    export OPENBLAS_CORETYPE=Haswell
  fi
fi
