#!/usr/bin/env bash
# Configures and builds cdp-relay into build/ (Release with debug info).
# Usage: scripts/build.sh [extra cmake -D options...]
# Warnings are errors with -DCDP_RELAY_WERROR=ON (scripts/test.sh, so CI, sets
# it; off by default, since other compilers warn differently).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build build -j"$jobs"
