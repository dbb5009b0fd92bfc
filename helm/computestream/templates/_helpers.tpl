{{/* Names and labels shared by every template. */}}
{{- define "computestream.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "computestream.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "indexer") */}}
{{- define "computestream.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "computestream.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "computestream.databaseSecret" -}}
{{- .Values.postgres.existingSecret | default (printf "%s-database" (include "computestream.fullname" .)) -}}
{{- end -}}

{{- define "computestream.keysSecret" -}}
{{- .Values.keys.existingSecret | default (printf "%s-keys" (include "computestream.fullname" .)) -}}
{{- end -}}

{{/* The environment every container shares: the config file and the database URL. */}}
{{- define "computestream.env" -}}
- name: COMPUTESTREAM_CONFIG
  value: /etc/computestream/config.toml
- name: COMPUTESTREAM_DATABASE__URL
  valueFrom:
    secretKeyRef:
      name: {{ include "computestream.databaseSecret" . }}
      key: {{ .Values.postgres.existingSecretKey }}
{{- end -}}

{{- define "computestream.configVolume" -}}
- name: config
  configMap:
    name: {{ include "computestream.fullname" . }}-config
{{- end -}}

{{- define "computestream.configMount" -}}
- name: config
  mountPath: /etc/computestream
  readOnly: true
{{- end -}}

{{/* Liveness and readiness on the side port's /healthz. */}}
{{- define "computestream.probes" -}}
livenessProbe:
  httpGet:
    path: /healthz
    port: side
  initialDelaySeconds: 10
  periodSeconds: 10
  failureThreshold: 6
readinessProbe:
  httpGet:
    path: /healthz
    port: side
  periodSeconds: 5
  failureThreshold: 3
{{- end -}}

{{- define "computestream.podAnnotations" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.sidePort | quote }}
prometheus.io/path: /metrics
{{- end -}}
