{{/* Names and labels shared by the templates. */}}

{{/* The release's base name: the release name, or <release>-vdisk-csi when it does not say vdisk-csi already. */}}
{{- define "vdisk-csi.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "vdisk-csi.labels" -}}
app.kubernetes.io/name: vdisk-csi
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component (controller or node): stable across upgrades. */}}
{{- define "vdisk-csi.selector" -}}
app.kubernetes.io/name: vdisk-csi
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "vdisk-csi.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "vdisk-csi.controllerServiceAccount" -}}
{{- printf "%s-controller" (include "vdisk-csi.fullname" .) -}}
{{- end -}}

{{- define "vdisk-csi.nodeServiceAccount" -}}
{{- printf "%s-node" (include "vdisk-csi.fullname" .) -}}
{{- end -}}

{{/* Where the node plugin's socket lives on the host: the kubelet dials it there (node-driver-registrar tells it). */}}
{{- define "vdisk-csi.nodeSocketDir" -}}
{{- printf "%s/plugins/%s" .Values.node.kubeletDir .Values.driverName -}}
{{- end -}}

{{/* The Secret with the node agents' TLS pair (tls.crt, tls.key) and the CA that signed it (ca.crt). */}}
{{- define "vdisk-csi.agentTlsSecret" -}}
{{- printf "%s-agent-api-tls" (include "vdisk-csi.fullname" .) -}}
{{- end -}}

{{/*
The one name every node agent's certificate carries and the controller checks (--agent-server-name): the controller
dials agents by pod IP, which no certificate made at install time can name.
*/}}
{{- define "vdisk-csi.agentServerName" -}}
{{- printf "vdisk-agent.%s.svc" .Release.Namespace -}}
{{- end -}}

{{- define "vdisk-csi.holderImage" -}}
{{- printf "%s:%s" .Values.holder.image.repository (default .Chart.AppVersion .Values.holder.image.tag) -}}
{{- end -}}

{{/*
The descriptor holder's socket on the host: in the node plugin's state directory, which both pods mount at the same
path, inside a directory of its own (the holder makes it 0700).
*/}}
{{- define "vdisk-csi.holderSocket" -}}
{{- printf "%s/fd-holder/holder.sock" .Values.node.stateDir -}}
{{- end -}}
