#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) into build-sanitize/ (shared
# with scripts/sanitize.sh, so CI compiles the instrumented library once), seeds
# their corpora from tests/fixtures, and runs each target for a bounded time.
# Prints one line per target: executions, corpus size and crashes; exits 1 if
# any target crashed (the crash input is left in build-sanitize/crashes/<target>/).
#
# Usage: scripts/fuzz.sh [seconds-per-target]   (default 60; .ci/run uses the default)
# Longer run (e.g. overnight, both cores):
#   FUZZ_JOBS=2 bash scripts/fuzz.sh 3600
# Keep what a long run learned: the working corpus stays in
# build-sanitize/corpus/<target>/; minimize a crash with
#   build-sanitize/tests/fuzz/<target> -minimize_crash=1 -runs=100000 <crash-file>
# and commit the result under tests/fuzz/corpus/<target>/ with a regression
# unit test named after the bug (STYLE.md, Tests).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
jobs="${FUZZ_JOBS:-1}"
build=build-sanitize
targets=(decode_fuzz vidora_encoder_fuzz config_loader_fuzz retry_after_fuzz)

CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCDP_RELAY_BUILD_FUZZ=ON -DCDP_RELAY_BUILD_TESTS=ON \
  -DCDP_RELAY_SANITIZE=address,undefined -DCDP_RELAY_WERROR=ON >/dev/null
cmake --build "$build" -j2 --target cdp_relay_fuzz

# Seeds: one file per fixture line (JSON targets), the config fixtures and the
# documented example (config loader), and header values with a clock prefix
# (Retry-After). Regenerated on every run; the committed corpus under
# tests/fuzz/corpus/<target>/ (minimized crashers and hand-written seeds) is
# read as well.
seeds="$build/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"/{decode_fuzz,vidora_encoder_fuzz,config_loader_fuzz,retry_after_fuzz}
n=0
while IFS= read -r file; do
  while IFS= read -r line || [[ -n "$line" ]]; do
    [[ -z "$line" ]] && continue
    n=$((n + 1))
    printf '%s' "$line" >"$seeds/decode_fuzz/fixture_$n.json"
  done <"$file"
done < <(find tests/fixtures -name '*.jsonl' | sort)
cp "$seeds"/decode_fuzz/* "$seeds/vidora_encoder_fuzz/"
cp tests/fixtures/config/*.yaml "$seeds/config_loader_fuzz/"
# docs/config.md's example block (the one a unit test loads).
awk '/^```yaml/{on=1; next} /^```/{if(on){exit}} on' docs/config.md \
  >"$seeds/config_loader_fuzz/docs_config.yaml"
# Retry-After: 8 bytes of wall clock (1.7e12 ms, little-endian), then the value.
clock='\x00\x68\xe5\xcf\x8b\x01\x00\x00'
i=0
for header in "120" "0" "  3600  " "18446744073709551616" \
  "Sun, 06 Nov 1994 08:49:37 GMT" "Sunday, 06-Nov-94 08:49:37 GMT" \
  "Sun Nov  6 08:49:37 1994" "Fri, 31 Dec 9999 23:59:59 GMT" \
  "Mon, 29 Feb 2024 08:49:37 GMT" "Tue, 14 Nov 2023 22:13:80 GMT"; do
  i=$((i + 1))
  printf "$clock%s" "$header" >"$seeds/retry_after_fuzz/header_$i"
done

failed=0
printf '%-22s %12s %8s %8s\n' target executions corpus crashes
for target in "${targets[@]}"; do
  work="$build/corpus/$target"
  crashes="$build/crashes/$target"
  # Only this run's crashes count: a crash kept from an earlier run (fixed
  # since, its input committed as a seed) must not fail this one.
  rm -rf "$crashes"
  mkdir -p "$work" "$crashes" "tests/fuzz/corpus/$target"
  log="$build/fuzz-$target.log"
  status=0
  parallel=()
  if ((jobs > 1)); then parallel=(-fork="$jobs" -ignore_crashes=1); fi
  # A plain run stops at the first crash, which is what CI wants; -fork with
  # -ignore_crashes (FUZZ_JOBS > 1) keeps going and collects every crash.
  "$build/tests/fuzz/$target" "$work" "$seeds/$target" "tests/fuzz/corpus/$target" \
    -max_total_time="$seconds" "${parallel[@]}" -rss_limit_mb=2048 \
    -max_len=65536 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$crashes/" >"$log" 2>&1 || status=$?
  # Single process: the final stats line; -fork: the last status line's count.
  execs=$(grep -h 'stat::number_of_executed_units' "$log" | awk '{s += $2} END {print s + 0}')
  if [[ "$execs" == 0 ]]; then
    execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
  fi
  ncrash=$(find "$crashes" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  corpus=$(find "$work" -type f | wc -l)
  printf '%-22s %12s %8s %8s\n' "$target" "$execs" "$corpus" "$ncrash"
  if ((status != 0 || ncrash > 0)); then
    failed=1
    echo "fuzz: $target failed (exit $status); log: $log" >&2
    grep -m1 -A12 'ERROR: \|runtime error' "$log" >&2 || tail -20 "$log" >&2
  fi
done
exit "$failed"
