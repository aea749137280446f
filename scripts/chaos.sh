#!/usr/bin/env bash
# The chaos suite (docs/chaos.md): builds cdp-relay and the chaos binary if
# needed, runs every scenario (or, with --fast, the CI subset with its
# smaller settings), one process per scenario, and prints the table:
#
#   scenario  produced  delivered  dead_lettered  lost  duplicated  bound  seconds  result
#
# Usage: scripts/chaos.sh [--fast] [Scenario ...]
#   BUILD_DIR      build directory (default: build, what scripts/build.sh makes)
#   CHAOS_EVENTS   events per scenario (default 50000; 20000 with --fast)
#   CHAOS_SCALE    fault/stream duration factor (default 1.0; 0.3 with --fast)
#   CHAOS_RESULTS  keep the JSON result lines in this file (default: a temp file)
# Exits non-zero when any scenario failed.
set -euo pipefail
cd "$(dirname "$0")/.."

all=(SigkillRestartThreeTimes BrokerDownThenLeaderMoved RebalanceStorm FiveXxStorm
     TooManyRequestsWithRetryAfter HangingEndpoint DeadLetterQueueOutage PoisonEvents)
fast=(SigkillRestartThreeTimes FiveXxStorm DeadLetterQueueOutage PoisonEvents)

scenarios=()
mode=full
for arg in "$@"; do
  case "$arg" in
    --fast) mode=fast ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) scenarios+=("$arg") ;;
  esac
done
if [[ ${#scenarios[@]} -eq 0 ]]; then
  if [[ $mode == fast ]]; then scenarios=("${fast[@]}"); else scenarios=("${all[@]}"); fi
fi
if [[ $mode == fast ]]; then
  export CHAOS_EVENTS=${CHAOS_EVENTS:-20000} CHAOS_SCALE=${CHAOS_SCALE:-0.3}
else
  export CHAOS_EVENTS=${CHAOS_EVENTS:-50000} CHAOS_SCALE=${CHAOS_SCALE:-1.0}
fi

build=${BUILD_DIR:-build}
jobs=$(nproc 2>/dev/null || echo 2)
if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCDP_RELAY_BUILD_TESTS=ON >/dev/null
fi
cmake --build "$build" -j"$jobs" --target cdp-relay cdp_relay_chaos >/dev/null
binary=$build/tests/chaos/cdp_relay_chaos

results=${CHAOS_RESULTS:-$(mktemp -t cdp-relay-chaos-XXXXXX.jsonl)}
export CHAOS_RESULTS=$results
logdir=$(mktemp -d -t cdp-relay-chaos-logs-XXXXXX)
echo "chaos: ${#scenarios[@]} scenario(s), CHAOS_EVENTS=$CHAOS_EVENTS CHAOS_SCALE=$CHAOS_SCALE," \
     "results in $results, logs in $logdir" >&2

declare -A outcome
failed=0
started=$(date +%s)
for scenario in "${scenarios[@]}"; do
  echo "chaos: running $scenario ..." >&2
  if "$binary" --gtest_filter="Chaos.$scenario" >"$logdir/$scenario.log" 2>&1; then
    outcome[$scenario]=ok
  else
    outcome[$scenario]=FAILED
    failed=1
    echo "chaos: $scenario FAILED, see $logdir/$scenario.log" >&2
  fi
done

args=()
for scenario in "${scenarios[@]}"; do args+=("$scenario=${outcome[$scenario]}"); done
python3 - "$results" "${args[@]}" <<'PY'
import json, sys
path, outcomes = sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:])
rows = {}
with open(path) as f:
    for line in f:
        if line.strip():
            r = json.loads(line)
            if r.get("test") in outcomes:
                rows[r["test"]] = r  # the last run of a scenario wins
cols = ["produced", "delivered", "dead_lettered", "lost", "duplicated", "bound", "seconds"]
print(f"{'scenario':<26}" + "".join(f"{c:>14}" for c in cols) + "  result")
for test, outcome in outcomes.items():
    r = rows.get(test)
    if r is None:
        print(f"{test:<26}" + "".join(f"{'-':>14}" for c in cols) + f"  {outcome} (no result line)")
    else:
        print(f"{r['scenario']:<26}" + "".join(f"{r[c]:>14}" for c in cols) + f"  {outcome}")
PY
echo "chaos: $(( $(date +%s) - started )) s in total" >&2
exit $failed
