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

{{/* The actuator settings the three share: probe groups on. The exposure (prometheus included) is the jar's. */}}
{{- define "trods.managementYaml" -}}
management:
  endpoint:
    health:
      probes:
        # /actuator/health/liveness and /readiness for the kubelet, whatever the platform detection says.
        enabled: true
{{- end -}}

{{/* server.address of a host-network actuator: "hostIP" is the node's IP (downward API, $HOST_IP). */}}
{{- define "trods.hostActuatorAddress" -}}
{{- if eq (toString .) "hostIP" -}}${HOST_IP}{{- else -}}{{ . }}{{- end -}}
{{- end -}}

{{/* The kubelet's probe host for a host-network actuator: loopback reaches 127.0.0.1 and 0.0.0.0;
     empty for hostIP (the kubelet then uses the pod's IP, which is the node's); else the address. */}}
{{- define "trods.hostProbeHost" -}}
{{- $a := toString . -}}
{{- if or (eq $a "127.0.0.1") (eq $a "0.0.0.0") -}}127.0.0.1{{- else if ne $a "hostIP" -}}{{ $a }}{{- end -}}
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

{{/* Prometheus' annotations, when enabled and when the actuator is reachable from off the node
     (scrapeable: false for a host-network actuator on 127.0.0.1). */}}
{{- define "trods.podAnnotations" -}}
{{- if and .root.Values.metrics.prometheus.enabled .scrapeable }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /actuator/prometheus
{{- end }}
{{- end -}}
