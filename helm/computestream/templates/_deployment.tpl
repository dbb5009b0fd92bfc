{{/*
One Deployment running `computestream <subcommand>`:
(dict "root" $ "component" "indexer" "subcommand" "index" "replicas" 1 "single" true
      "spec" .Values.indexer "ports" (list) "env" (list))
"single" = exactly one writer: Recreate strategy (never two pods at once).
*/}}
{{- define "computestream.deployment" -}}
{{- $root := .root -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "computestream.fullname" $root }}-{{ .component }}
  labels:
    {{- include "computestream.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  replicas: {{ .replicas }}
  {{- if .single }}
  strategy:
    type: Recreate
  {{- end }}
  selector:
    matchLabels:
      {{- include "computestream.selector" (dict "root" $root "component" .component) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "computestream.labels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ .component }}
      annotations:
        {{- include "computestream.podAnnotations" $root | nindent 8 }}
    spec:
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: 30
      containers:
        - name: {{ .component }}
          image: {{ include "computestream.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args: [{{ .subcommand | quote }}]
          env:
            {{- include "computestream.env" $root | nindent 12 }}
            {{- with .env }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          ports:
            - name: side
              containerPort: {{ $root.Values.sidePort }}
            {{- with .ports }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- include "computestream.probes" $root | nindent 10 }}
          resources:
            {{- toYaml .spec.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            {{- include "computestream.configMount" $root | nindent 12 }}
            - name: tmp
              mountPath: /tmp
      volumes:
        {{- include "computestream.configVolume" $root | nindent 8 }}
        - name: tmp
          emptyDir: {}
      {{- with .spec.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .spec.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .spec.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}
