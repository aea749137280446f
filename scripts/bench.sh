#!/usr/bin/env bash
# Builds and runs the transform-stage benchmark (Google Benchmark) on one core.
# Extra arguments go to the benchmark binary (e.g. --benchmark_filter=small).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh test
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DCDP_RELAY_BUILD_TESTS=OFF \
  -DCDP_RELAY_BUILD_BENCH=ON >/dev/null
cmake --build build-bench -j"$(nproc)" --target transform_bench
# Pinned to one CPU: the figure is per core.
exec taskset -c 0 ./build-bench/bench/transform_bench --benchmark_min_time=1 "$@"
