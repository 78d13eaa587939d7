{{/*
The exporter's pod template, shared by the Deployment (shards = 1) and the
StatefulSet (shards > 1). Rendered at column 0; include it with nindent.
Sharded, each pod reads its ordinal from the label the StatefulSet controller
sets on it (apps.kubernetes.io/pod-index, Kubernetes >= 1.28) into SHARD_INDEX,
which Kubernetes substitutes for $(SHARD_INDEX) in args, env values and
subPathExpr.
*/}}
{{- define "kpi-exporter.podTemplate" -}}
{{- $sharded := gt (int .Values.shards) 1 -}}
{{- $proxy := .Values.kubeRBACProxy.enabled -}}
metadata:
  {{- if or (not .Values.existingConfigMap) .Values.podAnnotations }}
  annotations:
    {{- if not .Values.existingConfigMap }}
    checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
    {{- end }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
  labels:
    {{- include "kpi-exporter.labels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "kpi-exporter.serviceAccountName" . }}
  # kube-rbac-proxy needs the token for its TokenReviews and SubjectAccessReviews.
  automountServiceAccountToken: {{ $proxy }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  {{- with .Values.extraInitContainers }}
  initContainers:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: kpi-exporter
      image: {{ include "kpi-exporter.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - --config.file=/etc/kpi-exporter/config/config.toml
        {{- if $proxy }}
        # Only the kube-rbac-proxy sidecar (same pod) reaches the exporter.
        - --web.listen-address=127.0.0.1:{{ .Values.kubeRBACProxy.upstreamPort }}
        {{- else }}
        - --web.listen-address=:{{ .Values.service.port }}
        {{- end }}
        {{- if .Values.webConfig.existingSecret }}
        - --web.config.file=/etc/kpi-exporter/web/{{ .Values.webConfig.key }}
        {{- end }}
        {{- with .Values.externalUrl }}
        - --web.external-url={{ . }}
        {{- end }}
        - --log.level={{ .Values.log.level }}
        - --log.format={{ .Values.log.format }}
        {{- if $sharded }}
        - --shard.index=$(SHARD_INDEX)
        - --shard.count={{ .Values.shards }}
        {{- end }}
        {{- range .Values.extraArgs }}
        - {{ . | quote }}
        {{- end }}
      {{- if or $sharded .Values.extraEnv }}
      env:
        {{- if $sharded }}
        # First, so that the entries of `extraEnv` below can use $(SHARD_INDEX) too.
        - name: SHARD_INDEX
          valueFrom:
            fieldRef:
              fieldPath: metadata.labels['apps.kubernetes.io/pod-index']
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
      {{- with .Values.extraEnvFrom }}
      envFrom:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if not $proxy }}
      ports:
        - name: http-metrics
          containerPort: {{ .Values.service.port }}
          protocol: TCP
      {{- end }}
      livenessProbe:
        {{- include "kpi-exporter.probe" (list .Values.livenessProbe $proxy) | nindent 8 }}
      readinessProbe:
        {{- include "kpi-exporter.probe" (list .Values.readinessProbe $proxy) | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      {{- with .Values.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      volumeMounts:
        - name: config
          mountPath: /etc/kpi-exporter/config
          readOnly: true
        {{- if .Values.existingSecret }}
        - name: secrets
          mountPath: /etc/kpi-exporter/secrets
          readOnly: true
        {{- end }}
        {{- if .Values.webConfig.existingSecret }}
        - name: web-config
          mountPath: /etc/kpi-exporter/web
          readOnly: true
        {{- end }}
        {{- if .Values.shardSecret.name }}
        # This pod's own directory of the shard Secret (see the volume below).
        - name: shard-secrets
          mountPath: /etc/kpi-exporter/shard-secrets
          {{- if $sharded }}
          subPathExpr: $(SHARD_INDEX)
          {{- else }}
          subPath: "0"
          {{- end }}
          readOnly: true
        {{- end }}
        {{- with .Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    {{- if $proxy }}
    {{- include "kpi-exporter.kubeRBACProxyContainer" . | nindent 4 }}
    {{- end }}
    {{- with .Values.extraContainers }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "kpi-exporter.configMapName" . }}
    {{- if .Values.existingSecret }}
    - name: secrets
      secret:
        secretName: {{ .Values.existingSecret }}
        defaultMode: 0440
    {{- end }}
    {{- if .Values.webConfig.existingSecret }}
    - name: web-config
      secret:
        secretName: {{ .Values.webConfig.existingSecret }}
        defaultMode: 0440
    {{- end }}
    {{- if .Values.shardSecret.name }}
    # Key <name>-<i> of the Secret becomes <i>/<name>; pod i mounts directory <i>.
    # A missing key keeps the pod from starting (the event names the key).
    - name: shard-secrets
      secret:
        secretName: {{ .Values.shardSecret.name }}
        defaultMode: 0440
        items:
          {{- range $index := until (int .Values.shards) }}
          {{- range $.Values.shardSecret.keys }}
          - key: {{ printf "%s-%d" . $index }}
            path: {{ printf "%d/%s" $index . }}
          {{- end }}
          {{- end }}
    {{- end }}
    {{- with .Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
