#!/usr/bin/env bash
# Installs what is missing, builds fbd and runs the main job: `fbd demo` (arguments pass through).
set -euo pipefail
source "$(dirname "$0")/common.sh"
"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DFBD_CUDA=AUTO \
      -DCMAKE_CUDA_ARCHITECTURES="$(cuda_archs)" >/dev/null
cmake --build "$root/build" -j "$jobs" --target fbd
exec "$root/build/fbd" demo "$@"
