#!/usr/bin/env bash
# ctest deploy_compose: docker-compose.yml checked without a Docker engine.
#  1. `docker-compose config` (Debian's docker-compose 1.29) validates and
#     normalizes the file;
#  2. deploy_check compose parses that output as YAML: services, KRaft,
#     healthchecks and depends_on conditions, the mounts, the wiring between
#     relay config, topics, emulator, producer, Prometheus and Grafana;
#  3. the relay config it mounts passes `cdp-relay check-config` with the
#     environment compose gives the relay;
#  4. `promtool check config` on Prometheus' config in its mounted layout (so
#     rule_files resolve to deploy/prometheus/alerts.yml), `promtool check rules`;
#  5. the sample producer's events go through `cdp-relay transform`: only the
#     deliberately malformed lines are rejected (invalid_json).
# A missing docker-compose or promtool fails; nothing skips.
set -euo pipefail
src="${CDP_RELAY_SOURCE_DIR:?}"
for tool in docker-compose promtool; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "FAIL: $tool not found (scripts/install-deps.sh test installs it)" >&2
    exit 1
  }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== docker-compose config"
# The defaults of the file, not whatever the caller's shell exports; the one
# variable without a default (Grafana's admin password) must be required.
if env -u VIDORA_API_KEY -u SPIDEO_API_KEY -u GRAFANA_ADMIN_PASSWORD -u COMPOSE_FILE \
     docker-compose --project-directory "$src" -f "$src/docker-compose.yml" config \
     > /dev/null 2> "$work/config.err"; then
  echo "FAIL: docker-compose config accepted an unset GRAFANA_ADMIN_PASSWORD" >&2
  exit 1
fi
grep -q GRAFANA_ADMIN_PASSWORD "$work/config.err" || { cat "$work/config.err" >&2; exit 1; }
echo "ok: refused without GRAFANA_ADMIN_PASSWORD"
env -u VIDORA_API_KEY -u SPIDEO_API_KEY -u COMPOSE_FILE GRAFANA_ADMIN_PASSWORD=compose-check \
  docker-compose --project-directory "$src" -f "$src/docker-compose.yml" config > "$work/compose.yaml"
echo "ok: valid ($(grep -c '' "$work/compose.yaml") normalized lines)"

echo "== deploy_check compose"
"$DEPLOY_CHECK" compose --config "$work/compose.yaml" --docs "$src/docs/config.md" \
  --alerts "$src/deploy/prometheus/alerts.yml" --dashboard "$src/deploy/grafana/cdp-relay.json" \
  --relay-config-out "$work/relay.yaml" --relay-env-out "$work/relay.env" --prom-root "$work/prom"

echo "== cdp-relay check-config (the relay's mounted config, compose's environment)"
mapfile -t relay_env < "$work/relay.env"     # written by deploy_check from the parsed file
env -u VIDORA_API_KEY -u SPIDEO_API_KEY "${relay_env[@]}" \
  "$CDP_RELAY_BINARY" check-config -c "$work/relay.yaml"

echo "== promtool check config (mounted layout) / check rules"
promtool check config "$work/prom/etc/prometheus/prometheus.yml"
promtool check rules "$src/deploy/prometheus/alerts.yml"

echo "== sample events through cdp-relay transform"
sh "$src/deploy/compose/produce-sample-events.sh" --print 3 > "$work/sample.jsonl"
lines=$(grep -c '' "$work/sample.jsonl")
malformed=$(grep -c 'this is not JSON' "$work/sample.jsonl" || true)
"$CDP_RELAY_BINARY" transform --destination vidora < "$work/sample.jsonl" \
  > "$work/out.jsonl" 2> "$work/err.jsonl"
events=$(grep -c '' "$work/out.jsonl" || true)
rejected=$(grep -c '"error"' "$work/err.jsonl" || true)
invalid_json=$(grep -c '"reason":"invalid_json"' "$work/err.jsonl" || true)
echo "$lines lines ($malformed malformed) -> $events Vidora events, $rejected rejected"
if (( malformed < 1 || rejected != malformed || invalid_json != malformed || events < lines - malformed )); then
  echo "FAIL: expected exactly the $malformed malformed lines rejected (invalid_json) and" \
       ">= $((lines - malformed)) events" >&2
  head -5 "$work/err.jsonl" >&2
  exit 1
fi
echo "OK (compose)"
