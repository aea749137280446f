#!/usr/bin/env bash
# ctest `metrics_exposition`: a real /metrics scrape of the real binary,
# checked by promtool and against the dashboard and the alert rules.
#  1. `cdp-relay demo` relays a few thousand events over its mock cluster and
#     emulator, then fetches its own /metrics over HTTP (--metrics-file);
#  2. `promtool check metrics` lints that exposition (README "Metrics");
#  3. every cdp_relay_* name in deploy/grafana/*.json and
#     deploy/prometheus/alerts.yml must be exported (catches drift).
# A missing promtool is a failure, never a skip.
set -euo pipefail
binary="$1"
source_dir="$2"
if ! command -v promtool >/dev/null 2>&1; then
  echo "FAIL: promtool not found (Debian package prometheus; run scripts/install-deps.sh test)" >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$binary" demo --events 3000 --partitions 3 --quiet --metrics-file "$work/metrics.prom" \
  > "$work/demo.out" 2> "$work/demo.err" || {
  echo "FAIL: cdp-relay demo failed" >&2
  cat "$work/demo.out" "$work/demo.err" >&2
  exit 1
}
grep -q '^cdp_relay_events_delivered_total{destination="vidora"} [1-9]' "$work/metrics.prom" || {
  echo "FAIL: no deliveries in the scrape" >&2
  cat "$work/metrics.prom" >&2
  exit 1
}

echo "== promtool check metrics"
if ! promtool check metrics < "$work/metrics.prom"; then
  echo "FAIL: promtool check metrics found problems" >&2
  exit 1
fi

echo "== names used by the dashboard and the alert rules"
python3 - "$work/metrics.prom" "$source_dir/deploy/grafana/cdp-relay.json" \
  "$source_dir/deploy/prometheus/alerts.yml" <<'PY'
import json, re, sys
scrape, dashboard, rules = sys.argv[1:4]
exported = set()
for line in open(scrape):
    if line.startswith("# TYPE "):
        exported.add(line.split()[2])          # histogram base names too
    elif line.strip() and not line.startswith("#"):
        exported.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
json.load(open(dashboard))                     # must be valid JSON
name = re.compile(r"\bcdp_relay_[a-z0-9_]+")
missing = {}
for path in (dashboard, rules):
    used = set(name.findall(open(path).read()))
    if not used:
        missing[path] = ["<no cdp_relay_ series at all>"]
    gone = sorted(n for n in used if n not in exported)
    if gone:
        missing[path] = gone
    print(f"{path}: {len(used)} series, all exported" if not gone else "")
if missing:
    for path, names in missing.items():
        print(f"FAIL: {path} uses series the binary does not export: {', '.join(names)}", file=sys.stderr)
    sys.exit(1)
PY
echo "OK"
