#!/usr/bin/env bash
# README command (2) and .ci/run: installs what is missing, builds, and runs
# the whole test suite (unit, integration, CLI).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh test
bash scripts/install-helm.sh >/dev/null   # helm 3.17 into .tools/helm (tests/deploy)
bash scripts/build.sh -DCDP_RELAY_BUILD_TESTS=ON
# Unit tests in parallel; integration tests (real sockets, mock Kafka
# clusters, child processes) one at a time so they do not starve each other
# on small machines.
ctest --test-dir build --output-on-failure -j2 -LE integration
ctest --test-dir build --output-on-failure -L integration
