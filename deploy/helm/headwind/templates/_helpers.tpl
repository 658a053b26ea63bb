{{/* Names, labels and the pieces shared by Headwind's Deployments. */}}

{{- define "headwind.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "headwind.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "headwind.serviceAccountName" -}}
{{- default (include "headwind.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "headwind.leaseName" -}}
{{- printf "%s-leader" (include "headwind.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "headwind.temporalName" -}}
{{- printf "%s-temporal" (include "headwind.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "headwind.selectorLabels" -}}
app.kubernetes.io/name: {{ include "headwind.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "headwind.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "headwind.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "headwind.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Where Headwind reaches Temporal: the embedded dev server's Service, or the given address. */}}
{{- define "headwind.temporalAddress" -}}
{{- if .Values.temporal.embedded -}}
{{- printf "%s:7233" (include "headwind.temporalName" .) -}}
{{- else -}}
{{- required "temporal.address is required when temporal.embedded is false" .Values.temporal.address -}}
{{- end -}}
{{- end -}}

{{/* One optional environment variable from a key of a Secret the user created. */}}
{{- define "headwind.secretEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
      optional: true
{{- end -}}

{{/* The HEADWIND_* settings every Headwind container gets (docs/configuration.md). */}}
{{- define "headwind.env" -}}
- name: HEADWIND_API_HOST
  value: "0.0.0.0"
- name: HEADWIND_API_PORT
  value: "8080"
- name: HEADWIND_TEMPORAL_ADDRESS
  value: {{ include "headwind.temporalAddress" . | quote }}
- name: HEADWIND_TEMPORAL_NAMESPACE
  value: {{ .Values.temporal.namespace | quote }}
{{- with .Values.temporal.uiUrl }}
- name: HEADWIND_TEMPORAL_UI_URL
  value: {{ . | quote }}
{{- end }}
{{- if and (not .Values.temporal.embedded) .Values.temporal.tls.enabled }}
- name: HEADWIND_TEMPORAL_TLS
  value: "true"
{{- end }}
{{- if and (not .Values.temporal.embedded) .Values.temporal.tls.clientCertSecret }}
- name: HEADWIND_TEMPORAL_TLS_CERT
  value: /etc/headwind/temporal-client/tls.crt
- name: HEADWIND_TEMPORAL_TLS_KEY
  value: /etc/headwind/temporal-client/tls.key
{{- end }}
{{- if and (not .Values.temporal.embedded) .Values.temporal.tls.caSecret }}
- name: HEADWIND_TEMPORAL_TLS_CA
  value: {{ printf "/etc/headwind/temporal-ca/%s" .Values.temporal.tls.caKey | quote }}
{{- end }}
{{- if and (not .Values.temporal.embedded) .Values.temporal.tls.serverName }}
- name: HEADWIND_TEMPORAL_TLS_SERVER_NAME
  value: {{ .Values.temporal.tls.serverName | quote }}
{{- end }}
{{- if and (not .Values.temporal.embedded) .Values.temporal.apiKey.secretName }}
- name: HEADWIND_TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.temporal.apiKey.secretName }}
      key: {{ .Values.temporal.apiKey.key }}
{{- end }}
{{- with .Values.watchNamespaces }}
- name: HEADWIND_WATCH_NAMESPACES
  value: {{ join "," . | quote }}
{{- end }}
- name: HEADWIND_LEADER_ELECTION_NAMESPACE
  value: {{ .Release.Namespace | quote }}
- name: HEADWIND_LEADER_ELECTION_LEASE
  value: {{ include "headwind.leaseName" . | quote }}
- name: HEADWIND_UI_AUTH_MODE
  value: {{ .Values.auth.mode | quote }}
{{- if eq .Values.auth.mode "proxy" }}
- name: HEADWIND_UI_AUTH_PROXY_HEADER
  value: {{ .Values.auth.proxyHeader | quote }}
{{- end }}
{{- with .Values.publicUrl }}
- name: HEADWIND_PUBLIC_URL
  value: {{ . | quote }}
{{- end }}
- name: HEADWIND_LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: HEADWIND_LOG_FORMAT
  value: {{ .Values.logFormat | quote }}
- name: HEADWIND_POLLING_ENABLED
  value: {{ .Values.polling.enabled | quote }}
- name: HEADWIND_POLLING_INTERVAL
  value: {{ .Values.polling.interval | quote }}
{{- with .Values.polling.insecureRegistries }}
- name: HEADWIND_REGISTRY_INSECURE
  value: {{ join "," . | quote }}
{{- end }}
- name: HEADWIND_WEBHOOK_ALLOW_UNAUTHENTICATED
  value: {{ .Values.webhooks.allowUnauthenticated | quote }}
{{- with .Values.webhooks.artifactoryRegistry }}
- name: HEADWIND_WEBHOOK_ARTIFACTORY_REGISTRY
  value: {{ . | quote }}
{{- end }}
{{- with .Values.webhooks.secretName }}
{{- $secret := . }}
{{- range $env, $key := dict "HEADWIND_WEBHOOK_TOKEN" "token" "HEADWIND_WEBHOOK_DOCKERHUB_TOKEN" "dockerhub-token" "HEADWIND_WEBHOOK_REGISTRY_TOKEN" "registry-token" "HEADWIND_WEBHOOK_HARBOR_SECRET" "harbor-secret" "HEADWIND_WEBHOOK_GITHUB_SECRET" "github-secret" "HEADWIND_WEBHOOK_QUAY_TOKEN" "quay-token" "HEADWIND_WEBHOOK_ACR_TOKEN" "acr-token" "HEADWIND_WEBHOOK_GAR_TOKEN" "gar-token" "HEADWIND_WEBHOOK_ARTIFACTORY_SECRET" "artifactory-secret" "HEADWIND_WEBHOOK_ECR_TOKEN" "ecr-token" }}
{{ include "headwind.secretEnv" (dict "env" $env "secret" $secret "key" $key) }}
{{- end }}
{{- end }}
{{- with .Values.notifications.slackChannel }}
- name: HEADWIND_SLACK_CHANNEL
  value: {{ . | quote }}
{{- end }}
{{- with .Values.notifications.slackApprovers }}
- name: HEADWIND_SLACK_APPROVERS
  value: {{ join "," . | quote }}
{{- end }}
{{- with .Values.notifications.webhookUrl }}
- name: HEADWIND_NOTIFY_WEBHOOK_URL
  value: {{ . | quote }}
{{- end }}
{{- with .Values.notifications.secretName }}
{{- $secret := . }}
{{- range $env, $key := dict "HEADWIND_SLACK_BOT_TOKEN" "slack-bot-token" "HEADWIND_SLACK_SIGNING_SECRET" "slack-signing-secret" "HEADWIND_TEAMS_WEBHOOK_URL" "teams-webhook-url" "HEADWIND_NOTIFY_WEBHOOK_SECRET" "notify-webhook-secret" "HEADWIND_APPROVAL_LINK_SECRET" "approval-link-secret" }}
{{ include "headwind.secretEnv" (dict "env" $env "secret" $secret "key" $key) }}
{{- end }}
{{- end }}
{{- with .Values.metricsBackend }}
{{- if .url }}
- name: HEADWIND_METRICS_BACKEND
  value: {{ .kind | quote }}
- name: HEADWIND_METRICS_BACKEND_URL
  value: {{ .url | quote }}
{{- with .database }}
- name: HEADWIND_METRICS_BACKEND_DATABASE
  value: {{ . | quote }}
{{- end }}
{{- with .username }}
- name: HEADWIND_METRICS_BACKEND_USERNAME
  value: {{ . | quote }}
{{- end }}
{{- with .secretName }}
{{ include "headwind.secretEnv" (dict "env" "HEADWIND_METRICS_BACKEND_PASSWORD" "secret" . "key" "metrics-backend-password") }}
{{- end }}
{{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* A Headwind pod running `headwind <command>`; `http` says whether it serves the API. */}}
{{- define "headwind.podTemplate" -}}
{{- $root := .root -}}
{{- with $root -}}
metadata:
  labels:
    {{- include "headwind.selectorLabels" . | nindent 4 }}
    app.kubernetes.io/component: {{ $.component }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: {{ include "headwind.serviceAccountName" . }}
  automountServiceAccountToken: true
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
    - name: headwind
      image: {{ include "headwind.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args: [{{ $.command | quote }}]
      env:
        {{- include "headwind.env" . | nindent 8 }}
      {{- with .Values.extraEnvFrom }}
      envFrom:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- if $.http }}
      ports:
        - name: http
          containerPort: 8080
          protocol: TCP
      startupProbe:
        {{- toYaml .Values.probes.startup | nindent 8 }}
      livenessProbe:
        {{- toYaml .Values.probes.liveness | nindent 8 }}
      readinessProbe:
        {{- toYaml .Values.probes.readiness | nindent 8 }}
      {{- end }}
      resources:
        {{- toYaml (default .Values.resources $.resources) | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        {{- if and (not .Values.temporal.embedded) .Values.temporal.tls.clientCertSecret }}
        - name: temporal-client
          mountPath: /etc/headwind/temporal-client
          readOnly: true
        {{- end }}
        {{- if and (not .Values.temporal.embedded) .Values.temporal.tls.caSecret }}
        - name: temporal-ca
          mountPath: /etc/headwind/temporal-ca
          readOnly: true
        {{- end }}
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: {{ .Values.tmpSizeLimit }}
    {{- if and (not .Values.temporal.embedded) .Values.temporal.tls.clientCertSecret }}
    - name: temporal-client
      secret:
        secretName: {{ .Values.temporal.tls.clientCertSecret }}
    {{- end }}
    {{- if and (not .Values.temporal.embedded) .Values.temporal.tls.caSecret }}
    - name: temporal-ca
      secret:
        secretName: {{ .Values.temporal.tls.caSecret }}
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
{{- end -}}
{{- end -}}

{{/* The Deployments of the chosen mode: component, `headwind` command, replicas, API or not. */}}
{{- define "headwind.deployments" -}}
{{- if eq .Values.mode "split" -}}
{{- list (dict "component" "worker" "command" "worker" "replicas" .Values.worker.replicas "http" false "resources" .Values.worker.resources) (dict "component" "api" "command" "api" "replicas" .Values.api.replicas "http" true "resources" .Values.api.resources) | toJson -}}
{{- else -}}
{{- list (dict "component" "controller" "command" "run" "replicas" .Values.replicas "http" true "resources" dict) | toJson -}}
{{- end -}}
{{- end -}}

{{/* The component whose pods serve the API (the Service's selector). */}}
{{- define "headwind.apiComponent" -}}
{{- if eq .Values.mode "split" }}api{{ else }}controller{{ end -}}
{{- end -}}
