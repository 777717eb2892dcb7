#!/usr/bin/env bash
# Installs what fbd needs from Debian's archive, skipping what is already there.
#   scripts/install-deps.sh            build + test dependencies (python3-nibabel: the NIfTI tests
#                                      read its test data and check fbd's files with it)
#   scripts/install-deps.sh --bench    also Python, PyTorch and SciPy for bench/compare_*.py
#   scripts/install-deps.sh --report   also Chromium, to render report.html headless
# The CUDA toolkit (nvcc, cuDNN, cuBLAS) is not a Debian package here: fbd finds it under
# /usr/local/cuda (or CUDA_HOME) and builds the CPU backend alone where it is missing.
set -euo pipefail

packages=(build-essential cmake doctest-dev libbenchmark-dev libstb-dev libopenblas-dev
          nlohmann-json3-dev libcli11-dev libomp-dev libnifti2-dev zlib1g-dev python3-nibabel
          libgdcm-dev python3-pydicom clang libclang-rt-dev libdnnl-dev)
for arg in "$@"; do
  case "$arg" in
    --bench) packages+=(python3 python3-numpy python3-scipy python3-torch) ;;
    --report) packages+=(chromium) ;;
    *) echo "install-deps: unknown option $arg (expected --bench or --report)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
