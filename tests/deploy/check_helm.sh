#!/usr/bin/env bash
# ctest deploy_helm_<case>: helm lint --strict and helm template of
# helm/cdp-relay, then deploy_check's assertions on the rendered manifests
# (parsed as YAML), and the rendered relay.yaml through `cdp-relay check-config`.
#   default          default values
#   all_features     tests/deploy/all-features.yaml: KEDA (Prometheus trigger,
#                    checked against a real /metrics scrape), ServiceMonitor,
#                    PrometheusRule, dashboard ConfigMap, distinctive API keys;
#                    and a config change must change checksum/config
#   hpa              all features with the HPA instead of KEDA
#   existing_secret  secret.existingSecret: no Secret rendered, env from it
#   kafka_trigger    KEDA with the Kafka scaler
#   rejects          values the chart must refuse (schema or template fail)
# Env (set by tests/deploy/CMakeLists.txt): CDP_RELAY_BINARY, DEPLOY_CHECK,
# CDP_RELAY_SOURCE_DIR. helm: $HELM, else .tools/helm/helm, else PATH. A
# missing helm fails (run scripts/install-helm.sh); nothing skips.
set -euo pipefail
case_name="$1"
src="${CDP_RELAY_SOURCE_DIR:?}"
chart="$src/helm/cdp-relay"
helm="${HELM:-$src/.tools/helm/helm}"
[[ -x "$helm" ]] || helm="$(command -v helm || true)"
if [[ -z "$helm" ]]; then
  echo "FAIL: helm not found: run scripts/install-helm.sh (scripts/test.sh does)" >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
all="$src/tests/deploy/all-features.yaml"

# helm's chart loader reports the two symlinks into deploy/ on stderr; keep
# its other output.
run_helm() { "$helm" "$@" 2> >(grep -v 'found symbolic link in path' >&2); }

lint() {
  echo "== helm lint --strict $*"
  run_helm lint --strict "$chart" "$@"
}

render() {  # render <out> [helm args...]
  local out="$1"; shift
  echo "== helm template $*"
  run_helm template cdp "$chart" --namespace data "$@" > "$out"
}

check_config() {  # check_config <relay.yaml>
  echo "== cdp-relay check-config (rendered relay.yaml)"
  sed 's/^/   | /' "$1"
  VIDORA_API_KEY=check-config-key KAFKA_SASL_PASSWORD=check-config-password \
    "$CDP_RELAY_BINARY" check-config -c "$1"
}

assert_manifests() {  # assert_manifests <manifest> <autoscaler> <optional on|off> [extra args]
  local manifest="$1" autoscaler="$2" optional="$3"; shift 3
  echo "== deploy_check helm ($autoscaler, optional $optional)"
  "$DEPLOY_CHECK" helm --manifest "$manifest" --docs "$src/docs/config.md" \
    --metric-names "$src/src/obs/metric_names.h" \
    --alerts "$src/deploy/prometheus/alerts.yml" --dashboard "$src/deploy/grafana/cdp-relay.json" \
    --expect-autoscaler "$autoscaler" --optional "$optional" \
    --config-out "$work/relay.yaml" --checksum-out "$work/checksum" "$@"
  check_config "$work/relay.yaml"
}

must_fail() {  # must_fail <expected message> [helm template args...]
  local expect="$1"; shift
  if run_helm template cdp "$chart" "$@" > "$work/out" 2> "$work/err"; then
    echo "FAIL: helm template $* was accepted" >&2
    exit 1
  fi
  if ! grep -qF -- "$expect" "$work/err"; then
    echo "FAIL: helm template $* failed without '$expect':" >&2
    cat "$work/err" >&2
    exit 1
  fi
  echo "ok: refused ($*): $expect"
}

case "$case_name" in
  default)
    lint
    render "$work/m.yaml"
    assert_manifests "$work/m.yaml" none off
    ;;
  all_features)
    lint -f "$all"
    render "$work/m.yaml" -f "$all"
    echo "== a real /metrics scrape (cdp-relay demo --metrics-file)"
    (cd "$work" && "$CDP_RELAY_BINARY" demo --events 2000 --partitions 2 --quiet \
       --metrics-file "$work/metrics.prom" > demo.out 2>&1) || { cat "$work/demo.out" >&2; exit 1; }
    assert_manifests "$work/m.yaml" keda on --scrape "$work/metrics.prom"
    first="$(cat "$work/checksum")"
    echo "== a config change rolls the pods"
    render "$work/m2.yaml" -f "$all" --set config.log_level=debug
    "$DEPLOY_CHECK" helm --manifest "$work/m2.yaml" --docs "$src/docs/config.md" \
      --metric-names "$src/src/obs/metric_names.h" \
      --alerts "$src/deploy/prometheus/alerts.yml" --dashboard "$src/deploy/grafana/cdp-relay.json" \
      --expect-autoscaler keda --optional on --config-out "$work/relay2.yaml" \
      --checksum-out "$work/checksum2" > /dev/null
    if [[ "$first" == "$(cat "$work/checksum2")" ]]; then
      echo "FAIL: checksum/config did not change with config.log_level" >&2
      exit 1
    fi
    echo "ok: checksum/config changed ($first -> $(cat "$work/checksum2"))"
    ;;
  hpa)
    lint -f "$all" --set keda.enabled=false --set autoscaling.enabled=true
    render "$work/m.yaml" -f "$all" --set keda.enabled=false --set autoscaling.enabled=true
    assert_manifests "$work/m.yaml" hpa on
    ;;
  existing_secret)
    lint --set secret.existingSecret=vidora-keys
    render "$work/m.yaml" --set secret.existingSecret=vidora-keys
    assert_manifests "$work/m.yaml" none off --existing-secret vidora-keys
    ;;
  kafka_trigger)
    lint --set keda.enabled=true --set keda.trigger=kafka
    render "$work/m.yaml" --set keda.enabled=true --set keda.trigger=kafka
    assert_manifests "$work/m.yaml" keda off
    ;;
  rejects)
    must_fail "mutually exclusive" --set keda.enabled=true --set autoscaling.enabled=true
    must_fail "config.destinations.vidora" --set config.destinations.vidora.api_key=plain-text-key
    must_fail "config.admin" --set config.admin.listen=0.0.0.0:8080
    must_fail "adminPort" --set adminPort=70000
    must_fail "keda.trigger" --set keda.enabled=true --set keda.trigger=cpu
    must_fail "replicaCount" --set replicaCount=-1
    must_fail "Additional property" --set unknownTopLevelKey=1
    ;;
  *)
    echo "unknown case $case_name" >&2
    exit 2
    ;;
esac
echo "OK ($case_name)"
