/**
 * The node plugin's metrics, recorded into the process's one registry (created by the launcher, passed in).
 *
 * <p>Entry points: {@link dev.vdisk.node.metrics.DataPathMetrics}, the FUSE workers' request observer (give it to
 * {@code FuseConfig.withObserver}); {@link dev.vdisk.node.metrics.NodeAgentMetrics#bind}, the agent's pool, volumes,
 * loop devices and splits as gauges read at scrape time. Names and labels: docs/architecture/csi-server.md, "Metrics".
 */
package dev.vdisk.node.metrics;
