#!/usr/bin/env bash
# README command (2) and .ci/run: installs what is missing, builds, and runs
# the whole test suite:
#   1. unit tests, deployment and observability checks (parallel);
#   2. integration tests (mock Kafka over TCP, emulator over HTTP, child
#      processes, real Prometheus), one at a time;
#   3. the chaos suite's fast subset (docs/chaos.md; scripts/chaos.sh runs all);
#   4. the end-to-end benchmark in smoke mode: it runs and reconciles (no
#      timing is asserted; scripts/bench-e2e.sh is the real run);
#   5. unit and integration tests again under ASan+UBSan (clang);
#   6. every libFuzzer target for FUZZ_SECONDS (default 60) each.
# STAGES="unit integration chaos e2e sanitize fuzz" selects a subset.
set -euo pipefail
cd "$(dirname "$0")/.."
stages=" ${STAGES:-unit integration chaos e2e sanitize fuzz} "
# ccache hits across build directories and checkouts: paths are hashed
# relative to the repository, and the working directory is left out.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
start=$(date +%s)
stage() { echo "== test.sh: $1 ($(($(date +%s) - start)) s in)"; }
wants() { [[ "$stages" == *" $1 "* ]]; }

bash scripts/install-deps.sh test
bash scripts/install-helm.sh >/dev/null   # helm 3.17 into .tools/helm (tests/deploy)
# The schema packages of tests/deploy/validate_manifests.js, pinned by its
# package-lock.json; `npm ci` again only when the lock file changed.
if ! cmp -s tests/deploy/package-lock.json tests/deploy/node_modules/.installed-lock; then
  (cd tests/deploy && npm ci --no-audit --no-fund --loglevel=error \
     && cp package-lock.json node_modules/.installed-lock)
fi
stage build
bash scripts/build.sh -DCDP_RELAY_BUILD_TESTS=ON -DCDP_RELAY_BUILD_BENCH=ON -DCDP_RELAY_WERROR=ON
# Unit tests in parallel; integration tests and chaos scenarios (real
# sockets, mock Kafka clusters, child processes) one at a time so they do not
# starve each other on small machines.
if wants unit; then
  stage unit
  ctest --test-dir build --output-on-failure -j2 -LE 'integration|chaos'
fi
if wants integration; then
  stage integration
  ctest --test-dir build --output-on-failure -L integration
fi
if wants chaos; then
  stage chaos
  ctest --test-dir build --output-on-failure -L chaos_fast
fi
if wants e2e; then
  stage "e2e smoke"
  ./build/bench/e2e --smoke --out build/e2e-smoke.json
fi
if wants sanitize; then
  stage sanitize
  bash scripts/sanitize.sh
fi
if wants fuzz; then
  stage fuzz
  bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
fi
stage "all passed"
