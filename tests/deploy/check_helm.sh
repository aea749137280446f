#!/usr/bin/env bash
# ctest deploy_helm_<case>: helm lint --strict and helm template of
# helm/cdp-relay, then deploy_check's assertions on the rendered manifests
# (parsed as YAML), and the rendered relay.yaml through `cdp-relay check-config`.
#   default          default values (and the one value they must add: an API key)
#   all_features     tests/deploy/all-features.yaml: KEDA (Prometheus trigger,
#                    checked against a real /metrics scrape), ServiceMonitor,
#                    PrometheusRule, dashboard ConfigMap, distinctive API keys;
#                    and a config change must change checksum/config
#   hpa              all features with the HPA instead of KEDA
#   existing_secret  secret.existingSecret: no Secret rendered, env from it;
#                    image.digest pins the image
#   kafka_trigger    KEDA with the Kafka scaler
#   production       helm/cdp-relay/examples/production.yaml: Strimzi topics and
#                    user (ACLs), NetworkPolicy, KEDA Kafka trigger from 0 with
#                    a TriggerAuthentication, TLS mounts, kafka.security
#   keda_query       the default KEDA Prometheus query through `promtool test
#                    rules`: this release's series only, NaN dropped, held at
#                    the threshold while a circuit is open, 0 without series
#   dashboard_uid    two releases get two dashboard uids
#   rejects          values the chart must refuse (schema or template fail)
# Env (set by tests/deploy/CMakeLists.txt): CDP_RELAY_BINARY, DEPLOY_CHECK,
# CDP_RELAY_SOURCE_DIR. helm: $HELM, else .tools/helm/helm, else PATH. A
# missing helm fails (run scripts/install-helm.sh); nothing skips.
# Every rendered manifest is also validated against the Kubernetes, KEDA and
# prometheus-operator schemas (validate_manifests.js; its npm packages come
# from `npm ci` in tests/deploy, which scripts/test.sh runs).
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
production="$chart/examples/production.yaml"
key=(--set secret.vidoraApiKey=test-vidora-key)

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
  run_helm template "${release:-cdp}" "$chart" --namespace data "$@" > "$out"
}

validate_schemas() {  # validate_schemas <manifest>
  echo "== schema validation (kubernetes-models, @kubernetes-models/keda, /prometheus-operator)"
  if [[ ! -d "$src/tests/deploy/node_modules/kubernetes-models" ]]; then
    echo "FAIL: tests/deploy/node_modules missing: run (cd tests/deploy && npm ci) (scripts/test.sh does)" >&2
    exit 1
  fi
  node "$src/tests/deploy/validate_manifests.js" "$1"
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
  validate_schemas "$manifest"
}

must_fail() {  # must_fail <expected message> [helm template args...]
  local expect="$1"; shift
  # helm itself, not run_helm: its stderr filter runs asynchronously and may
  # not have written the message yet when it is read below.
  if "$helm" template cdp "$chart" "$@" > "$work/out" 2> "$work/err"; then
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
    lint "${key[@]}"
    render "$work/m.yaml" "${key[@]}"
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
    digest="sha256:$(printf '%064d' 7)"
    lint --set secret.existingSecret=vidora-keys --set image.digest="$digest"
    render "$work/m.yaml" --set secret.existingSecret=vidora-keys --set image.digest="$digest"
    assert_manifests "$work/m.yaml" none off --existing-secret vidora-keys \
      --expect-image "ghcr.io/cdp-relay/cdp-relay@$digest"
    ;;
  kafka_trigger)
    lint "${key[@]}" --set keda.enabled=true --set keda.trigger=kafka
    render "$work/m.yaml" "${key[@]}" --set keda.enabled=true --set keda.trigger=kafka \
      --set config.kafka.consumer.auto\\.offset\\.reset=latest
    assert_manifests "$work/m.yaml" keda off
    ;;
  production)
    release=cdp-relay   # the KafkaUser (fullname) is the sasl.username of the example
    lint -f "$production"
    render "$work/m.yaml" -f "$production"
    assert_manifests "$work/m.yaml" keda on --existing-secret cdp-relay-keys \
      --expect-kinds "KafkaTopic=2,KafkaUser=1,NetworkPolicy=1,TriggerAuthentication=1"
    ;;
  keda_query)
    render "$work/m.yaml" "${key[@]}" --set keda.enabled=true --set-string keda.prometheus.threshold=60
    "$DEPLOY_CHECK" helm --manifest "$work/m.yaml" --docs "$src/docs/config.md" \
      --metric-names "$src/src/obs/metric_names.h" --expect-autoscaler keda --optional off \
      --config-out "$work/relay.yaml" --checksum-out "$work/checksum" \
      --keda-query-out "$work/query" > /dev/null
    echo "== promtool test rules: the rendered query of release cdp in namespace data"
    echo "   $(cat "$work/query")"
    query="$(cat "$work/query")" template="$(cat "$src/tests/deploy/keda_query_test.yml")"
    printf "%s\n" "${template//@QUERY@/"$query"}" > "$work/keda_query_test.yml"
    : > "$work/empty_rules.yml"
    (cd "$work" && promtool test rules keda_query_test.yml)
    ;;
  dashboard_uid)
    for release in relay relay-eu; do
      run_helm template "$release" "$chart" --namespace data -f "$all" > "$work/$release.yaml"
      "$DEPLOY_CHECK" helm --manifest "$work/$release.yaml" --docs "$src/docs/config.md" \
        --metric-names "$src/src/obs/metric_names.h" \
        --alerts "$src/deploy/prometheus/alerts.yml" --dashboard "$src/deploy/grafana/cdp-relay.json" \
        --expect-autoscaler keda --optional on --config-out "$work/relay.yaml" \
        --checksum-out "$work/checksum" --dashboard-uid-out "$work/$release.uid" > /dev/null
    done
    if [[ "$(cat "$work/relay.uid")" == "$(cat "$work/relay-eu.uid")" ]]; then
      echo "FAIL: releases relay and relay-eu share the dashboard uid $(cat "$work/relay.uid")" >&2
      exit 1
    fi
    echo "ok: dashboard uids $(cat "$work/relay.uid") (relay), $(cat "$work/relay-eu.uid") (relay-eu)"
    ;;
  rejects)
    # A default install must be able to deliver: no key, no render.
    must_fail "secret.vidoraApiKey or secret.existingSecret must be set"
    must_fail "secret.spideoApiKey or secret.existingSecret must be set" "${key[@]}" \
      --set config.destinations.spideo.enabled=true
    # The Prometheus trigger's metric comes from the pods: never from 0 pods.
    must_fail "keda.minReplicaCount: 0 needs keda.trigger=kafka" "${key[@]}" \
      --set keda.enabled=true --set keda.minReplicaCount=0
    must_fail "keda.fallback needs keda.trigger=kafka" "${key[@]}" \
      --set keda.enabled=true --set keda.fallback.replicas=3
    # Kafka secrets as plain values would land in the ConfigMap: the schema
    # refuses them, and so does the template when the schema is skipped.
    for prop in sasl.password ssl.key.password ssl.key.pem sasl.oauthbearer.client.secret; do
      esc="${prop//./\\.}"
      must_fail "$prop" "${key[@]}" --set "config.kafka.consumer.$esc=plain-secret"
      must_fail "kafka.security.$prop is a secret" --skip-schema-validation "${key[@]}" \
        --set "kafka.security.$esc=plain-secret"
      must_fail "config.kafka.producer.$prop is a secret" --skip-schema-validation "${key[@]}" \
        --set "config.kafka.producer.$esc=plain-secret"
    done
    must_fail "mutually exclusive" --set keda.enabled=true --set autoscaling.enabled=true
    must_fail "config.destinations.vidora" --set config.destinations.vidora.api_key=plain-text-key
    must_fail "config.admin" --set config.admin.listen=0.0.0.0:8080
    must_fail "adminPort" --set adminPort=70000
    must_fail "keda.trigger" --set keda.enabled=true --set keda.trigger=cpu
    must_fail "replicaCount" --set replicaCount=-1
    must_fail "Additional property" --set unknownTopLevelKey=1
    must_fail "image.digest" "${key[@]}" --set image.digest=latest
    ;;
  *)
    echo "unknown case $case_name" >&2
    exit 2
    ;;
esac
echo "OK ($case_name)"
