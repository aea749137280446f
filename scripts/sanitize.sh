#!/usr/bin/env bash
# ASan+UBSan build and run of the unit and integration tests (part of
# .ci/run). Builds with clang into build-sanitize/, the same build directory
# scripts/fuzz.sh uses, so CI compiles the instrumented library once for both:
# the library carries libFuzzer's coverage hooks too (-fsanitize=fuzzer-no-link,
# provided by the ASan runtime outside the fuzz executables). The relay binary
# the integration tests start as a child process is instrumented as well.
# Any sanitizer report fails the test it happens in (-fno-sanitize-recover).
#
# Usage: scripts/sanitize.sh
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-sanitize
start=$(date +%s)
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCDP_RELAY_BUILD_TESTS=ON -DCDP_RELAY_BUILD_FUZZ=ON \
  -DCDP_RELAY_SANITIZE=address,undefined -DCDP_RELAY_WERROR=ON >/dev/null
cmake --build "$build" -j2 --target cdp-relay cdp_relay_unit_tests cdp_relay_integration_tests

# detect_leaks: LeakSanitizer runs at every exit, child processes included.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# The unit gtest binary only (`Suite.Test` names, not the chaos suite):
# promtool and the deployment checks do not exercise our code under the
# sanitizers.
ctest --test-dir "$build" --output-on-failure -j2 -LE 'integration|chaos' -R '\.'
ctest --test-dir "$build" --output-on-failure -L integration
echo "sanitize: ASan+UBSan unit and integration tests passed in $(($(date +%s) - start)) s"
