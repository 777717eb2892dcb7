#!/usr/bin/env bash
# Downloads (does not install) the Debian packages fbd builds against into .gpu-deps/, so
# they can travel to a GPU machine that has CUDA, CMake and a compiler but no apt and no
# network. scripts/gpu-check.sh unpacks them into a private prefix there. Run it here, once
# per session that will use the device tool; .gpu-deps/ is git-ignored.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$root/.gpu-deps"
cd "$root/.gpu-deps"
packages=(doctest-dev libbenchmark-dev libbenchmark1debian libstb-dev libstb0 nlohmann-json3-dev libcli11-dev
          libopenblas-dev libopenblas-pthread-dev libopenblas0-pthread libgfortran5)
apt-get download "${packages[@]}" >/dev/null
du -sh "$root/.gpu-deps"
