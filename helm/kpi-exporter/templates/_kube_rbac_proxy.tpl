{{/*
Optional kube-rbac-proxy sidecar (kubeRBACProxy.enabled), as in the
kube-state-metrics chart: it terminates TLS on the service port and lets a
request through only when the caller's token may `get` the exporter's
service (or /metrics as a non-resource URL); the exporter then listens on
127.0.0.1 only. The health probes pass without a token (--ignore-paths) so
the kubelet can reach them over HTTPS.
*/}}
{{- define "kpi-exporter.kubeRBACProxyContainer" -}}
- name: kube-rbac-proxy
  image: "{{ .Values.kubeRBACProxy.image.repository }}:{{ .Values.kubeRBACProxy.image.tag }}"
  imagePullPolicy: {{ .Values.kubeRBACProxy.image.pullPolicy }}
  args:
    - --secure-listen-address=:{{ .Values.service.port }}
    - --upstream=http://127.0.0.1:{{ .Values.kubeRBACProxy.upstreamPort }}/
    - --ignore-paths=/healthz,/readyz
    {{- range .Values.kubeRBACProxy.extraArgs }}
    - {{ . | quote }}
    {{- end }}
  ports:
    - name: http-metrics
      containerPort: {{ .Values.service.port }}
      protocol: TCP
  securityContext:
    {{- toYaml .Values.securityContext | nindent 4 }}
  resources:
    {{- toYaml .Values.kubeRBACProxy.resources | nindent 4 }}
{{- end }}

{{/*
A probe from values; behind kube-rbac-proxy the port speaks HTTPS.
Arguments: (list probe proxyEnabled).
*/}}
{{- define "kpi-exporter.probe" -}}
{{- $probe := deepCopy (index . 0) -}}
{{- if and (index . 1) (hasKey $probe "httpGet") -}}
{{- $_ := set $probe.httpGet "scheme" "HTTPS" -}}
{{- end -}}
{{- toYaml $probe -}}
{{- end }}
