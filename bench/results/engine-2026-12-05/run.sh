#!/bin/bash
# The 2026-12-05 A/B of the engine, in one sitting: flat out twice, paced at
# 62,500 and 12,500 events/s, and against a sink that answers after 100 ms
# with the harness's stream and with its fixture users spread over 50,000
# and 500. Prints one line per run; JSON and logs go to OUT.
#
#   cmake --build build -j2 --target cdp-relay e2e e2e_sink
#   bash bench/results/engine-2026-12-05/run.sh <base cdp-relay> [OUT]
# (base here: a build of 77bde71; "new" is build/cdp-relay)
set -u
cd "$(dirname "$0")/../../.."
B=${1:?usage: run.sh <base cdp-relay binary> [out dir]}
N=build/cdp-relay
OUT=${2:-/tmp/engine-ab}
mkdir -p "$OUT"
python3 bench/spread_users.py tests/fixtures/mixed/small_tracks.jsonl 50000 > "$OUT/users50k.jsonl"
python3 bench/spread_users.py tests/fixtures/mixed/small_tracks.jsonl 500 > "$OUT/users500.jsonl"

line() {
  echo "$1 $(grep -E 'max: delivered events/s' "$2" | awk '{print $4}')" \
    "cpu=$(grep 'relay CPU s per M' "$2" | awk '{print $NF}')" \
    "$(grep -E 'requests in flight' "$2" | awk '{print $NF}')" \
    "rss=$(grep VmHWM "$2" | awk '{print $NF}') rec=$(grep reconciled "$2" | awk '{print $NF}')" \
    "load=$(uptime | awk -F'average:' '{print $2}')"
}
relay_of() { [ "$1" = base ] && echo "$B" || echo "$N"; }
run() {  # name log-stem relay args...
  local name=$1 stem=$2 relay=$3; shift 3
  build/bench/e2e --relay "$relay" "$@" --out "$OUT/$stem.json" > "$OUT/$stem.log" 2>&1
  line "$name" "$OUT/$stem.log"
}

for round in 1 2; do
  for v in base new; do
    run "flat $v $round" "flat-$v-$round" "$(relay_of $v)" --raw-s 1 --idle-s 3 --latency-s 3
  done
done
for v in base new; do
  run "62.5k $v" "r62k-$v" "$(relay_of $v)" --rate 62500 --raw-s 1 --idle-s 3 --latency-s 3
  run "12.5k $v" "r12k-$v" "$(relay_of $v)" --rate 12500 --raw-s 1 --idle-s 3 --latency-s 3
done
for v in base new; do
  for fx in default users50k users500; do
    fixture=()
    [ "$fx" != default ] && fixture=(--fixture "$OUT/$fx.jsonl")
    run "100ms $fx $v" "s100-$fx-$v" "$(relay_of $v)" --sink-latency-ms 100 --concurrency-max 64 \
      --compression lz4 --raw-s 1 --idle-s 1 --latency-s 5 "${fixture[@]}"
  done
done
