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
