{{/* The four services of the chart, with their ports (deploy/images.json). */}}
{{- define "wharf.services" -}}
gateway: 8080
repository: 8082
scheduler: 8083
router: 8081
{{- end -}}

{{- define "wharf.port" -}}
{{- get (include "wharf.services" . | fromYaml) .service -}}
{{- end -}}

{{/* <release>-wharf, or the release name when it already holds "wharf". */}}
{{- define "wharf.fullname" -}}
{{- if contains "wharf" .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-wharf" .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Name of a service's objects: dict "root" $ "service" "gateway". */}}
{{- define "wharf.name" -}}
{{- printf "%s-%s" (include "wharf.fullname" .root) .service -}}
{{- end -}}

{{- define "wharf.instancesNamespace" -}}
{{- default .Release.Namespace .Values.instances.namespace -}}
{{- end -}}

{{- define "wharf.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: wharf
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: wharf
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The labels the scheduler's driver finds platform pods by (Scheduler.Kube<Service>PodLabels). */}}
{{- define "wharf.podLabels" -}}
app.kubernetes.io/name: wharf
app.kubernetes.io/component: {{ .service }}
{{- end -}}

{{- define "wharf.selectorLabels" -}}
{{ include "wharf.podLabels" . }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "wharf.componentLabels" -}}
{{ include "wharf.labels" .root }}
app.kubernetes.io/component: {{ .service }}
{{- end -}}

{{- define "wharf.url" -}}
{{- $port := int .root.Values.publicPort -}}
{{- if or (and (eq .root.Values.publicScheme "https") (eq $port 443)) (and (eq .root.Values.publicScheme "http") (eq $port 80)) -}}
{{- printf "%s://%s" .root.Values.publicScheme .host -}}
{{- else -}}
{{- printf "%s://%s:%d" .root.Values.publicScheme .host $port -}}
{{- end -}}
{{- end -}}

{{/*
The routing modes the scheduler offers, as a JSON list: `Scheduler.RoutingModes`, else
`[Scheduler.RoutingMode]`, with `config.Scheduler` over the chart's values as in wharf.toml. The
router's Ingress serves the bare apps-domain host only when BASE_URL is among them.
*/}}
{{- define "wharf.routingModes" -}}
{{- $extra := default dict .Values.config.Scheduler -}}
{{- $mode := default .Values.scheduler.routingMode (get $extra "RoutingMode") -}}
{{- $modes := default .Values.scheduler.routingModes (get $extra "RoutingModes") -}}
{{- toJson (default (list $mode) $modes) -}}
{{- end -}}

{{/* Internal URL of a service: http://<name>.<namespace>:<port> */}}
{{- define "wharf.internalUrl" -}}
{{- printf "http://%s.%s:%s" (include "wharf.name" .) .root.Release.Namespace (include "wharf.port" .) -}}
{{- end -}}

{{/* A TOML value from a YAML value: strings, numbers, booleans, lists and maps (inline tables). */}}
{{- define "wharf.tomlValue" -}}
{{- $v := . -}}
{{- if kindIs "map" $v -}}
{{- $parts := list -}}
{{- range $k := keys $v | sortAlpha -}}
{{- $parts = append $parts (printf "%s = %s" (toJson $k) (include "wharf.tomlValue" (get $v $k))) -}}
{{- end -}}
{{- if $parts }}{{ printf "{ %s }" (join ", " $parts) }}{{ else }}{}{{ end -}}
{{- else if kindIs "slice" $v -}}
{{- $parts := list -}}
{{- range $v -}}
{{- $parts = append $parts (include "wharf.tomlValue" .) -}}
{{- end -}}
{{- printf "[%s]" (join ", " $parts) -}}
{{- else if kindIs "invalid" $v -}}
{{- fail "wharf.toml: null values cannot be written in TOML (remove the key instead)" -}}
{{- else -}}
{{- toJson $v -}}
{{- end -}}
{{- end -}}

{{/* env entry from a secret reference: dict "root" $ "env" NAME "ref" {name,key} "keyField" "key" "optional" bool */}}
{{- define "wharf.secretEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ default .root.Values.secrets.existingSecret .ref.name | quote }}
      key: {{ get .ref (default "key" .keyField) | quote }}
      {{- if .optional }}
      optional: true
      {{- end }}
{{- end -}}
