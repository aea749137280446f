#!/usr/bin/env bash
# End-to-end benchmark (bench/e2e.cc): mock Kafka cluster -> relay (child
# process, `cdp-relay run`) -> HTTP sink (child process) -> committed offsets,
# against a raw librdkafka consume of the same topic. Prints a table and writes
# JSON to bench/results/e2e-<date>.json (or --out FILE).
#   bash scripts/bench-e2e.sh            full run (~1.5 min)
#   bash scripts/bench-e2e.sh --smoke    short run: only checks that it runs and reconciles
# Other arguments go to the harness (bench/e2e --help lists them).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-e2e}
JOBS=${JOBS:-2}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DCDP_RELAY_BUILD_TESTS=OFF \
  -DCDP_RELAY_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$JOBS" --target e2e >/dev/null
exec "./$BUILD_DIR/bench/e2e" "$@"
