/**
 * Tests of what a platform engineer installs: the Helm chart in {@code charts/vdisk-csi} rendered by the real helm
 * ({@link dev.vdisk.e2e.chart.Helm}, fetched by {@code charts/tools/fetch-helm}), read into fabric8's typed model
 * ({@link dev.vdisk.e2e.chart.Manifests}); the RBAC compared with what the code declares
 * ({@code dev.vdisk.kube.access.ApiAccess}) and with the sidecars' upstream rules ({@link
 * dev.vdisk.e2e.chart.UpstreamSidecarRules}); the manifests in {@code examples/}; the README's values table.
 * Unit tests (surefire): they need helm, not a running driver or a cluster.
 */
package dev.vdisk.e2e.chart;
