{{/* The release's name prefix, at most 63 characters (a DNS label). */}}
{{- define "trods.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "trods.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
app.kubernetes.io/name: trods
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
{{- end -}}

{{/* Selector labels of one component: call with (dict "root" $ "component" "recovery-agent"). */}}
{{- define "trods.selectorLabels" -}}
app.kubernetes.io/name: trods
app.kubernetes.io/instance: {{ .root.Release.Name | quote }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "trods.image" -}}
{{- $tag := default .root.Chart.AppVersion .root.Values.image.tag -}}
{{- if .root.Values.image.registry -}}
{{- printf "%s/%s:%s" (trimSuffix "/" .root.Values.image.registry) .repository $tag -}}
{{- else -}}
{{- printf "%s:%s" .repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "trods.adminSecretName" -}}
{{- default (printf "%s-admin" (include "trods.fullname" .)) .Values.admin.existingSecret -}}
{{- end -}}

{{- define "trods.adminSecretKey" -}}
{{- if .Values.admin.existingSecret -}}{{ .Values.admin.existingSecretKey }}{{- else -}}password{{- end -}}
{{- end -}}

{{/* The first virtual service, the one the agents announce themselves under. */}}
{{- define "trods.firstService" -}}
{{- if .Values.virtualServices -}}{{ toYaml (first .Values.virtualServices) }}{{- end -}}
{{- end -}}

{{/* The actuator settings the three share: probe groups on, and prometheus when scraped. */}}
{{- define "trods.managementYaml" -}}
management:
  endpoint:
    health:
      probes:
        # /actuator/health/liveness and /readiness for the kubelet, whatever the platform detection says.
        enabled: true
{{- if .root.Values.metrics.prometheus.enabled }}
  endpoints:
    web:
      exposure:
        include: {{ .exposure }},prometheus
{{- end }}
{{- end -}}

{{/* Environment every component gets: the admin password from the Secret, the config location. */}}
{{- define "trods.commonEnv" -}}
- name: TRODS_ADMIN_USER
  value: {{ .root.Values.admin.user | quote }}
- name: TRODS_ADMIN_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "trods.adminSecretName" .root }}
      key: {{ include "trods.adminSecretKey" .root }}
- name: SPRING_CONFIG_ADDITIONAL_LOCATION
  value: {{ printf "file:/etc/trods/%s.yml" .component | quote }}
- name: JAVA_TOOL_OPTIONS
  value: {{ .javaOpts | quote }}
{{- end -}}

{{/* Kubelet probes on the actuator's health groups; host is set for hostNetwork pods (127.0.0.1). */}}
{{- define "trods.probes" -}}
livenessProbe:
  httpGet:
    {{- if .host }}
    host: {{ .host }}
    {{- end }}
    path: /actuator/health/liveness
    port: {{ .port }}
  {{- toYaml .root.Values.probes.liveness | nindent 2 }}
readinessProbe:
  httpGet:
    {{- if .host }}
    host: {{ .host }}
    {{- end }}
    path: /actuator/health/readiness
    port: {{ .port }}
  {{- toYaml .root.Values.probes.readiness | nindent 2 }}
{{- end -}}

{{- define "trods.podAnnotations" -}}
{{- if .root.Values.metrics.prometheus.enabled }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /actuator/prometheus
{{- end }}
{{- end -}}
