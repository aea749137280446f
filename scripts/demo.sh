#!/usr/bin/env bash
# README command (1): installs what is missing, builds, and runs `cdp-relay demo`
# (embedded mock Kafka + local Vidora emulator). Extra arguments go to demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh build
bash scripts/build.sh -DCDP_RELAY_BUILD_TESTS=OFF
exec ./build/cdp-relay demo "$@"
