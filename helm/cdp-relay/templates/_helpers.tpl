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

{{/* One autoscaler at most: KEDA creates its own HPA. */}}
{{- define "cdp-relay.validate" -}}
{{- if and .Values.keda.enabled .Values.autoscaling.enabled }}
{{- fail "keda.enabled and autoscaling.enabled are mutually exclusive: KEDA creates its own HorizontalPodAutoscaler" }}
{{- end }}
{{- if and .Values.keda.enabled (gt (int .Values.keda.minReplicaCount) (int .Values.keda.maxReplicaCount)) }}
{{- fail "keda.minReplicaCount must not exceed keda.maxReplicaCount" }}
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

{{/* The default KEDA Prometheus query: the worst partition's seconds behind. */}}
{{- define "cdp-relay.kedaQuery" -}}
{{- if .Values.keda.prometheus.query }}
{{- .Values.keda.prometheus.query }}
{{- else }}
{{- /* ">= 0" drops NaN samples; "or vector(0)": no series (no partition assigned yet) is no lag. */}}
{{- printf "max(cdp_relay_consumer_lag_seconds{namespace=%q,pod=~%q} >= 0) or vector(0)" .Release.Namespace (printf "%s-.*" (include "cdp-relay.fullname" .)) }}
{{- end }}
{{- end }}
