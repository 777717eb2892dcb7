# Shared by the scripts: where the sources are, how many cores, which CUDA architectures.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="${FBD_JOBS:-$(nproc)}"

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
