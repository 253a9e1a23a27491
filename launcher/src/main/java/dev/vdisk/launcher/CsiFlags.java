package dev.vdisk.launcher;

import picocli.CommandLine.Option;

/** Flags of every mode that serves CSI (controller, node, standalone): the socket, the names, metrics. */
final class CsiFlags {

    static final String DEFAULT_ENDPOINT = "unix:///run/vdisk/csi.sock";
    static final String DEFAULT_DRIVER_NAME = "vdisk.csi.dev";

    @Option(
            names = "--endpoint",
            paramLabel = "URI",
            defaultValue = DEFAULT_ENDPOINT,
            order = 10,
            description = "unix socket to serve on; a stale socket is replaced, any other file there is refused, "
                    + "never deleted")
    String endpoint;

    @Option(
            names = "--driver-name",
            paramLabel = "NAME",
            defaultValue = DEFAULT_DRIVER_NAME,
            order = 11,
            description = "CSI driver name reported by GetPluginInfo")
    String driverName;

    @Option(
            names = "--node-id",
            paramLabel = "ID",
            order = 12,
            description = "this node's id as the CO knows it (default: the host name)")
    String nodeId;

    @Option(
            names = "--metrics-listen",
            paramLabel = "HOST:PORT",
            order = 90,
            description = "serve Prometheus metrics on http://HOST:PORT/metrics (and /healthz), e.g. 0.0.0.0:9808, "
                    + "[::1]:9808, :9808 (every address); default: off")
    String metricsListen;
}
