package dev.vdisk.launcher;

import dev.vdisk.csi.server.Endpoint;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Everything the command line decided, built once by {@link FlagValidation}. {@code pool} is present exactly in the
 * modes that own a pool; {@code node}, the node agent's settings, matter only there.
 * {@code metricsListen}: where to serve Prometheus metrics; empty = no metrics at all (no registry, no meters).
 * {@code cluster}: the Kubernetes settings of controller and node mode.
 * {@code holderSocket}: fd-holder mode: the socket it serves ({@code --socket}).
 */
record LaunchConfig(
        Mode mode,
        Endpoint endpoint,
        String driverName,
        String nodeId,
        Optional<Path> pool,
        String logLevel,
        boolean demo,
        NodeOptions node,
        Optional<InetSocketAddress> metricsListen,
        ClusterOptions cluster,
        Optional<Path> holderSocket) {}
