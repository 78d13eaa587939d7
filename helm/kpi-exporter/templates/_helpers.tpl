{{/* Chart name, truncated to the 63 characters Kubernetes names allow. */}}
{{- define "kpi-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: release-chart, unless the release name already contains the chart name. */}}
{{- define "kpi-exporter.fullname" -}}
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

{{- define "kpi-exporter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "kpi-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kpi-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "kpi-exporter.labels" -}}
helm.sh/chart: {{ include "kpi-exporter.chart" . }}
{{ include "kpi-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kpi-exporter
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "kpi-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kpi-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "kpi-exporter.configMapName" -}}
{{- .Values.existingConfigMap | default (include "kpi-exporter.fullname" .) }}
{{- end }}

{{- define "kpi-exporter.namespace" -}}
{{- .Values.namespaceOverride | default .Release.Namespace }}
{{- end }}

{{/*
Fails the render for values that cannot work sharded (shards > 1), with the
reason: every check here would otherwise surface only in the cluster.
*/}}
{{- define "kpi-exporter.checkShards" -}}
{{- if semverCompare "<1.28.0-0" .Capabilities.KubeVersion.Version }}
{{- fail (printf "shards > 1 needs Kubernetes 1.28 or later (each pod reads its shard index from the pod label apps.kubernetes.io/pod-index, which StatefulSets set from 1.28 on); this cluster is %s" .Capabilities.KubeVersion.Version) }}
{{- end }}
{{- if ne .Values.service.type "ClusterIP" }}
{{- fail (printf "shards > 1 makes the Service headless (clusterIP: None, one endpoint per shard), which needs service.type ClusterIP, not %s" .Values.service.type) }}
{{- end }}
{{- end }}

{{/* The image: [registry/]repository, then @digest when set, else :tag (default: appVersion). */}}
{{- define "kpi-exporter.image" -}}
{{- $repository := .Values.image.repository -}}
{{- with .Values.image.registry }}{{ $repository = printf "%s/%s" . $repository }}{{ end -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end }}

{{/* A threshold of time from the values, a duration as in the config ("1d", "1h30m"; units y w d h m s,
each once, largest first, as the values' schema allows), in seconds: what a rule's expression compares with. */}}
{{- define "kpi-exporter.seconds" -}}
{{- $units := dict "y" 31536000 "w" 604800 "d" 86400 "h" 3600 "m" 60 "s" 1 -}}
{{- $seconds := 0 -}}
{{- range $part := regexFindAll "[0-9]+[ywdhms]" (toString .) -1 -}}
{{- $seconds = add $seconds (mul (regexFind "[0-9]+" $part | int64) (index $units (regexFind "[a-z]$" $part))) -}}
{{- end -}}
{{- $seconds -}}
{{- end }}

{{/* Alert thresholds in the units the annotations show, exactly as the program's HumanThreshold
(exporter/rules/alert_rules.cc) writes them, so the chart's rules equal `kpi_exporter rules`:
seconds as a duration (86400 -> 1d, 5400 -> 1h30m), ratios as a percentage (0.03 -> 3 %). */}}
{{- define "kpi-exporter.humanDuration" -}}
{{- $s := int64 . -}}
{{- if eq $s 0 }}0s{{ end -}}
{{- range $unit := list (list "d" 86400) (list "h" 3600) (list "m" 60) (list "s" 1) -}}
{{- $size := index $unit 1 | int64 -}}
{{- if ge $s $size }}{{ div $s $size }}{{ index $unit 0 }}{{ $s = mod $s $size }}{{ end -}}
{{- end -}}
{{- end }}

{{- define "kpi-exporter.humanPercent" -}}
{{ round (mulf . 100) 6 }} %
{{- end }}
