{{/* Chart name. */}}
{{- define "cdp-relay.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name (63 chars max: a DNS label). */}}
{{- define "cdp-relay.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "cdp-relay.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "cdp-relay.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cdp-relay.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "cdp-relay.labels" -}}
helm.sh/chart: {{ include "cdp-relay.chart" . }}
{{ include "cdp-relay.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: cdp-relay
{{- end }}

{{- define "cdp-relay.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "cdp-relay.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding the API keys: existingSecret, or the chart's own. */}}
{{- define "cdp-relay.secretName" -}}
{{- default (include "cdp-relay.fullname" .) .Values.secret.existingSecret }}
{{- end }}

{{/* The image: repository@digest when a digest is set, else repository:tag. */}}
{{- define "cdp-relay.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
librdkafka properties whose values are secrets. Written as plain values they
would land in the ConfigMap, readable by anyone who can read ConfigMaps: they
must be ${NAME} references, filled from a Secret through kafka.secretEnv,
extraEnv or extraEnvFrom. values.schema.json says the same.
*/}}
{{- define "cdp-relay.secretKafkaProperties" -}}
sasl.password ssl.key.password ssl.key.pem ssl.keystore.password sasl.oauthbearer.client.secret sasl.oauthbearer.config
{{- end }}

{{/* Fails the render on any bad combination of values (called by configmap.yaml). */}}
{{- define "cdp-relay.validate" -}}
{{- $v := .Values }}
{{- if and $v.keda.enabled $v.autoscaling.enabled }}
{{- fail "keda.enabled and autoscaling.enabled are mutually exclusive: KEDA creates its own HorizontalPodAutoscaler" }}
{{- end }}
{{- if and $v.keda.enabled (gt (int $v.keda.minReplicaCount) (int $v.keda.maxReplicaCount)) }}
{{- fail "keda.minReplicaCount must not exceed keda.maxReplicaCount" }}
{{- end }}
{{- /* The Prometheus trigger's metric comes from the relay pods themselves: at
       0 pods there is no series, "or vector(0)" reads 0 forever, and KEDA never
       scales back up. The Kafka trigger reads the lag from the brokers. */}}
{{- if and $v.keda.enabled (eq $v.keda.trigger "prometheus") (eq (int $v.keda.minReplicaCount) 0) }}
{{- fail "keda.minReplicaCount: 0 needs keda.trigger=kafka: the prometheus trigger's metric comes from the relay pods, so at 0 pods it reads 0 forever and never scales back up" }}
{{- end }}
{{- if and $v.keda.enabled (eq $v.keda.trigger "prometheus") $v.keda.fallback }}
{{- fail "keda.fallback needs keda.trigger=kafka: KEDA applies fallback only to AverageValue metrics, and the prometheus trigger is metricType Value" }}
{{- end }}
{{- /* A default install must be able to deliver: an empty key renders, starts,
       and is answered 401 forever. */}}
{{- if not $v.secret.existingSecret }}
{{- $dest := $v.config.destinations | default dict }}
{{- $vidora := $dest.vidora | default dict }}
{{- $spideo := $dest.spideo | default dict }}
{{- if and (ne (toString $vidora.enabled) "false") (not $v.secret.vidoraApiKey) }}
{{- fail "secret.vidoraApiKey or secret.existingSecret must be set: without an API key Vidora answers 401 and the relay delivers nothing" }}
{{- end }}
{{- if and (eq (toString $spideo.enabled) "true") (not $v.secret.spideoApiKey) }}
{{- fail "secret.spideoApiKey or secret.existingSecret must be set when config.destinations.spideo.enabled is true" }}
{{- end }}
{{- end }}
{{- $secretProps := splitList " " (include "cdp-relay.secretKafkaProperties" .) }}
{{- $kafka := $v.config.kafka | default dict }}
{{- range $block, $props := dict "kafka.security" $v.kafka.security "config.kafka.consumer" ($kafka.consumer | default dict) "config.kafka.producer" ($kafka.producer | default dict) }}
{{- range $key := $secretProps }}
{{- if hasKey $props $key }}
{{- if not (regexMatch "^\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}$" (toString (get $props $key))) }}
{{- fail (printf "%s.%s is a secret: write it as a ${NAME} reference and set NAME from a Secret (kafka.secretEnv, extraEnv or extraEnvFrom), never as a plain value that would land in the ConfigMap" $block $key) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The relay config file (docs/config.md): .Values.config with
  - destinations.vidora.api_key = ${VIDORA_API_KEY} (${VIDORA_API_KEY:-} when vidora is disabled)
  - destinations.spideo.api_key = ${SPIDEO_API_KEY:-}
  - admin.listen = 0.0.0.0:<adminPort>
API keys never reach the ConfigMap: the relay substitutes them from the
environment, which the Deployment fills from the Secret.
*/}}
{{- define "cdp-relay.config" -}}
{{- $cfg := deepCopy .Values.config }}
{{- /* kafka.security goes into the consumer and every producer (dead-letter,
       normalized): SASL/TLS written once, never forgotten on the producer side,
       where it would make every dead letter fail. Explicit consumer/producer
       keys win. */}}
{{- $kafka := $cfg.kafka | default dict }}
{{- range $side := list "consumer" "producer" }}
{{- $props := merge (get $kafka $side | default dict) (deepCopy $.Values.kafka.security) }}
{{- if $props }}{{ $_ := set $kafka $side $props }}{{ end }}
{{- end }}
{{- $_ := set $cfg "kafka" $kafka }}
{{- $dest := dict }}
{{- if hasKey $cfg "destinations" }}{{ $dest = $cfg.destinations }}{{ end }}
{{- $vidora := dict }}
{{- if hasKey $dest "vidora" }}{{ $vidora = $dest.vidora }}{{ end }}
{{- $vidoraEnabled := true }}
{{- if hasKey $vidora "enabled" }}{{ $vidoraEnabled = $vidora.enabled }}{{ end }}
{{- $_ := set $vidora "api_key" (ternary "${VIDORA_API_KEY}" "${VIDORA_API_KEY:-}" $vidoraEnabled) }}
{{- $_ := set $dest "vidora" $vidora }}
{{- $spideo := dict }}
{{- if hasKey $dest "spideo" }}{{ $spideo = $dest.spideo }}{{ end }}
{{- $_ := set $spideo "api_key" "${SPIDEO_API_KEY:-}" }}
{{- $_ := set $dest "spideo" $spideo }}
{{- $_ := set $cfg "destinations" $dest }}
{{- $admin := dict }}
{{- if hasKey $cfg "admin" }}{{ $admin = $cfg.admin }}{{ end }}
{{- $_ := set $admin "listen" (printf "0.0.0.0:%d" (int .Values.adminPort)) }}
{{- $_ := set $cfg "admin" $admin }}
{{- toYaml $cfg }}
{{- end }}

{{- define "cdp-relay.shutdownGrace" -}}
{{- $grace := 30 }}
{{- if hasKey .Values.config "shutdown_grace_s" }}{{ $grace = int .Values.config.shutdown_grace_s }}{{ end }}
{{- $grace }}
{{- end }}

{{/*
The series selector of this release: namespace and the release's
app.kubernetes.io/instance label (app_kubernetes_io_instance once the
ServiceMonitor's targetLabels copy it), never a pod-name pattern, which
"<fullname>-.*" makes match other releases ("relay" and "relay-eu").
*/}}
{{- define "cdp-relay.seriesSelector" -}}
{{- printf "namespace=%q,app_kubernetes_io_instance=%q" .Release.Namespace .Release.Name }}
{{- end }}

{{/*
The default KEDA Prometheus query: the worst partition's seconds behind, held
at the threshold (the HPA keeps the current count: desired = current x
value / threshold) while a destination's circuit is open or its credentials
are rejected. Lag grows during a downstream outage, and scaling out then only
sends more concurrent requests at the recovering destination.
  ">= 0" drops NaN and -1 samples (a partition never committed);
  "or vector(0)": no series (no partition assigned yet) is no lag.
*/}}
{{- define "cdp-relay.kedaQuery" -}}
{{- if .Values.keda.prometheus.query }}
{{- .Values.keda.prometheus.query }}
{{- else }}
{{- $sel := include "cdp-relay.seriesSelector" . }}
{{- $downstream := printf "(max(cdp_relay_circuit_open{%s}) == 1 or max(cdp_relay_auth_failing{%s}) == 1)" $sel $sel }}
{{- printf "(max(cdp_relay_consumer_lag_seconds{%s} >= 0) unless on() %s) or on() (%s * 0 + %s) or on() vector(0)" $sel $downstream $downstream .Values.keda.prometheus.threshold }}
{{- end }}
{{- end }}

{{/* KEDA's offsetResetPolicy: the consumer's auto.offset.reset (the relay's default: earliest). */}}
{{- define "cdp-relay.offsetResetPolicy" -}}
{{- $consumer := (.Values.config.kafka | default dict).consumer | default dict }}
{{- $reset := .Values.keda.kafka.offsetResetPolicy | default (get (merge (deepCopy $consumer) .Values.kafka.security) "auto.offset.reset") | default "earliest" | toString }}
{{- if has $reset (list "latest" "largest" "end") }}latest{{ else }}earliest{{ end }}
{{- end }}

{{/*
Secret names the pods read (API keys and kafka.secretEnv), comma-separated:
the Reloader annotation, and the lookup-based rollout checksum.
*/}}
{{- define "cdp-relay.podSecretNames" -}}
{{- $names := list (include "cdp-relay.secretName" .) }}
{{- range $env, $ref := .Values.kafka.secretEnv }}
{{- $names = append $names $ref.secretName }}
{{- end }}
{{- join "," ($names | uniq) }}
{{- end }}

{{/*
A checksum of the Secrets the pods read, as the API server has them at
install/upgrade time (lookup): `helm upgrade` after an existingSecret (or a
kafka.secretEnv Secret) changes rolls the pods. helm template and --dry-run
have no cluster: the lookups are empty there. Between upgrades, use Reloader
(reloader.enabled).
*/}}
{{- define "cdp-relay.secretsChecksum" -}}
{{- $data := list }}
{{- range $name := splitList "," (include "cdp-relay.podSecretNames" .) }}
{{- $s := lookup "v1" "Secret" $.Release.Namespace $name }}
{{- if $s }}{{ $data = append $data (toJson $s.data) }}{{ end }}
{{- end }}
{{- if not $.Values.secret.existingSecret }}
{{- $data = append $data (printf "%s\n%s" $.Values.secret.vidoraApiKey $.Values.secret.spideoApiKey) }}
{{- end }}
{{- join "\n" $data | sha256sum }}
{{- end }}

{{/* Non-secret KEDA Kafka auth parameters from kafka.security: sasl mode and tls. */}}
{{- define "cdp-relay.kedaKafkaSasl" -}}
{{- $sec := .Values.kafka.security }}
{{- $protocol := get $sec "security.protocol" | default "PLAINTEXT" | toString | upper }}
{{- $mech := get $sec "sasl.mechanisms" | default (get $sec "sasl.mechanism") | default "PLAIN" | toString | upper }}
{{- if hasPrefix "SASL_" $protocol }}
{{- get (dict "PLAIN" "plaintext" "SCRAM-SHA-256" "scram_sha256" "SCRAM-SHA-512" "scram_sha512" "OAUTHBEARER" "oauthbearer" "GSSAPI" "gssapi") $mech | default "plaintext" }}
{{- end }}
{{- end }}

{{- define "cdp-relay.kedaKafkaTls" -}}
{{- $protocol := get .Values.kafka.security "security.protocol" | default "PLAINTEXT" | toString | upper }}
{{- if or (eq $protocol "SSL") (eq $protocol "SASL_SSL") }}enable{{ end }}
{{- end }}

{{/* The env var a ${NAME} value refers to, or "" for a literal. */}}
{{- define "cdp-relay.envRefName" -}}
{{- $m := regexFind "^\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}$" (toString .) }}
{{- if $m }}{{ trimSuffix "}" (trimPrefix "${" $m) }}{{ end }}
{{- end }}

{{/*
Env vars for the KEDA TriggerAuthentication's non-secret Kafka parameters
(sasl mode, tls, a literal sasl.username): KEDA reads a TriggerAuthentication
`env` parameter from the scale target's container. The relay ignores them.
*/}}
{{- define "cdp-relay.kedaEnv" -}}
{{- if and .Values.keda.enabled (eq .Values.keda.trigger "kafka") .Values.keda.kafka.triggerAuthentication.enabled }}
{{- with include "cdp-relay.kedaKafkaSasl" . }}
- name: KEDA_KAFKA_SASL
  value: {{ . | quote }}
{{- end }}
{{- with include "cdp-relay.kedaKafkaTls" . }}
- name: KEDA_KAFKA_TLS
  value: {{ . | quote }}
{{- end }}
{{- $user := get .Values.kafka.security "sasl.username" | default "" | toString }}
{{- if and $user (not (include "cdp-relay.envRefName" $user)) }}
- name: KEDA_KAFKA_USERNAME
  value: {{ $user | quote }}
{{- end }}
{{- end }}
{{- end }}
