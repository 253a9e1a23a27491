/**
 * Metrics, one registry per process: the launcher creates one {@code PrometheusMeterRegistry} and passes it to
 * whatever records (this package's {@link dev.vdisk.csi.server.metrics.CallMetricsInterceptor} for CSI calls, the
 * node plugin's {@code dev.vdisk.node.metrics} for the data path and the agent); nothing here is static or global.
 *
 * <p>Entry point: {@link dev.vdisk.csi.server.metrics.MetricsEndpoint#start}, the HTTP endpoint Prometheus scrapes
 * ({@code GET /metrics}, {@code GET /healthz}). Metric names and labels are listed in
 * docs/architecture/csi-server.md, "Metrics".
 */
package dev.vdisk.csi.server.metrics;
