{{/* Names, labels and the per-component config shared by the templates. */}}

{{- define "vigil.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name; objects of one component append -relayer / -verifier. */}}
{{- define "vigil.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 53 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 53 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 53 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "vigil.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vigil.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "vigil.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "vigil.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The components to run, in a fixed order. */}}
{{- define "vigil.components" -}}
{{- $out := list -}}
{{- range $c := list "relayer" "verifier" -}}
{{- if (index $.Values $c).enabled -}}{{- $out = append $out $c -}}{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{- define "vigil.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "vigil.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "vigil.image" -}}
{{- $repo := required "image.repository is required" .Values.image.repository -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $repo .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Where things live inside the pod. */}}
{{- define "vigil.configDir" -}}/etc/vigil{{- end -}}
{{- define "vigil.storeDir" -}}/var/lib/vigil{{- end -}}
{{/* LevelDB gets a directory of its own on the volume (whose root may hold lost+found). */}}
{{- define "vigil.storePath" -}}/var/lib/vigil/store{{- end -}}
{{- define "vigil.signerDir" -}}/etc/vigil/signers/{{ . }}{{- end -}}
{{- define "vigil.adminTokenPath" -}}/etc/vigil/admin/token{{- end -}}

{{/*
The signers mounted in one component, as a JSON map name -> signer values, after
checking each entry. Call with (dict "root" $ "component" "relayer").
*/}}
{{- define "vigil.signersFor" -}}
{{- $out := dict -}}
{{- range $name, $s := .root.Values.signers -}}
{{- if not (regexMatch "^[a-z0-9_-]{1,64}$" $name) -}}
{{- fail (printf "signers.%s: use lowercase letters, digits, '-' and '_' (as the config does)" $name) -}}
{{- end -}}
{{- $_ := required (printf "signers.%s.existingSecret is required: the name of a Secret holding the V3 keystore and its password" $name) $s.existingSecret -}}
{{- $components := required (printf "signers.%s.components is required: [relayer], [verifier] or both (each key only where it signs)" $name) $s.components -}}
{{- if not $components -}}
{{- fail (printf "signers.%s.components is empty: the key would be mounted nowhere" $name) -}}
{{- end -}}
{{- range $components -}}
{{- if not (has . (list "relayer" "verifier")) -}}
{{- fail (printf "signers.%s.components: %v is not relayer or verifier" $name .) -}}
{{- end -}}
{{- end -}}
{{- if has $.component $components -}}
{{- $_ := set $out $name $s -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
The config file of one component: the config value plus the keys the chart owns.
In the relayer's copy no rollup challenges: only the verifier sends challenge
transactions, so one key never has two senders racing for its nonces.
Call with (dict "root" $ "component" "relayer").
*/}}
{{- define "vigil.config" -}}
{{- $root := .root -}}
{{- $cfg := deepCopy (required "config is required: Vigil's YAML config (chains, verifier, ...)" $root.Values.config) -}}
{{- range $owned := list "store" "metrics" "admin" "signers" -}}
{{- if hasKey $cfg $owned -}}
{{- fail (printf "config.%s is set by the chart (see persistence, metrics.port, admin and signers in values.yaml): remove it from config" $owned) -}}
{{- end -}}
{{- end -}}
{{- if not $cfg.chains -}}
{{- fail "config.chains is required: at least one chain (name, chain_id, rpc, finality or confirmations)" -}}
{{- end -}}
{{- $_ := set $cfg "store" (dict "path" (include "vigil.storePath" $root)) -}}
{{- $_ := set $cfg "metrics" (dict "listen" (printf "0.0.0.0:%d" (int $root.Values.metrics.port))) -}}
{{- if $root.Values.admin.enabled -}}
{{- $_ := required "admin.tokenSecret.name is required when admin.enabled: a Secret holding the admin bearer token" $root.Values.admin.tokenSecret.name -}}
{{- $_ := set $cfg "admin" (dict "listen" (printf "%s:%d" $root.Values.admin.listenAddress (int $root.Values.admin.port)) "token_file" (include "vigil.adminTokenPath" $root)) -}}
{{- end -}}
{{- $signers := dict -}}
{{- range $name, $s := include "vigil.signersFor" . | fromJson -}}
{{- $dir := include "vigil.signerDir" $name -}}
{{- $_ := set $signers $name (dict "keystore" (printf "%s/%s" $dir (default "keystore.json" $s.keystoreKey)) "password_file" (printf "%s/%s" $dir (default "password" $s.passwordKey))) -}}
{{- end -}}
{{- if $signers -}}
{{- $_ := set $cfg "signers" $signers -}}
{{- end -}}
{{- if and (eq .component "relayer") $cfg.verifier $cfg.verifier.rollups -}}
{{- $rollups := list -}}
{{- range $cfg.verifier.rollups -}}
{{- $rollups = append $rollups (omit . "challenge" "signer") -}}
{{- end -}}
{{- $_ := set $cfg.verifier "rollups" $rollups -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* The Prometheus selector matching this release's metrics Services. */}}
{{- define "vigil.metricsSelector" -}}
namespace="{{ .Release.Namespace }}", service=~"{{ include "vigil.fullname" . }}-(relayer|verifier)"
{{- end -}}
