package dev.vdisk.launcher;

import dev.vdisk.csi.server.Endpoint;
import dev.vdisk.node.fuse.FuseTransport;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Everything the command line decided. {@code pool} is present exactly in the modes that own a pool; the node
 * agent's settings ({@code kubeletDir}, {@code stateDir}, {@code poolSize}, {@code maxVolumes}, {@code maxSplits}, {@code fuseTransport}) matter only there.
 * {@code metricsListen}: where to serve Prometheus metrics; empty = no metrics at all (no registry, no meters).
 * {@code cluster}: the Kubernetes settings of controller and node mode.
 * {@code acceptJournalLoss}: node, standalone: open the pool even when its journal lost fsynced records.
 * {@code fdHolder}: node, standalone: the descriptor holder's socket ({@code --fd-holder}); empty: none, a restart
 * stages every volume again. {@code holderSocket}: fd-holder mode: the socket it serves ({@code --socket}).
 */
record LaunchConfig(
        Mode mode,
        Endpoint endpoint,
        String driverName,
        String nodeId,
        Optional<Path> pool,
        String logLevel,
        boolean demo,
        Path kubeletDir,
        Path stateDir,
        OptionalLong poolSize,
        int maxVolumes,
        int maxSplits,
        FuseTransport fuseTransport,
        Optional<InetSocketAddress> metricsListen,
        ClusterOptions cluster,
        boolean acceptJournalLoss,
        Optional<Path> fdHolder,
        Optional<Path> holderSocket) {

    /** This configuration with the node agent's settings replaced. */
    LaunchConfig agent(
            Path kubeletDir,
            Path stateDir,
            OptionalLong poolSize,
            int maxVolumes,
            int maxSplits,
            FuseTransport fuseTransport) {
        return new LaunchConfig(
                mode,
                endpoint,
                driverName,
                nodeId,
                pool,
                logLevel,
                demo,
                kubeletDir,
                stateDir,
                poolSize,
                maxVolumes,
                maxSplits,
                fuseTransport,
                metricsListen,
                cluster,
                acceptJournalLoss,
                fdHolder,
                holderSocket);
    }

    /** This configuration with the metrics address replaced. */
    LaunchConfig metrics(Optional<InetSocketAddress> listen) {
        return new LaunchConfig(
                mode,
                endpoint,
                driverName,
                nodeId,
                pool,
                logLevel,
                demo,
                kubeletDir,
                stateDir,
                poolSize,
                maxVolumes,
                maxSplits,
                fuseTransport,
                listen,
                cluster,
                acceptJournalLoss,
                fdHolder,
                holderSocket);
    }

    /** This configuration with the cluster-mode settings replaced. */
    LaunchConfig cluster(ClusterOptions options) {
        return new LaunchConfig(
                mode,
                endpoint,
                driverName,
                nodeId,
                pool,
                logLevel,
                demo,
                kubeletDir,
                stateDir,
                poolSize,
                maxVolumes,
                maxSplits,
                fuseTransport,
                metricsListen,
                options,
                acceptJournalLoss,
                fdHolder,
                holderSocket);
    }

    /** This configuration with {@code --accept-journal-loss} set or not. */
    LaunchConfig acceptJournalLoss(boolean accept) {
        return new LaunchConfig(
                mode,
                endpoint,
                driverName,
                nodeId,
                pool,
                logLevel,
                demo,
                kubeletDir,
                stateDir,
                poolSize,
                maxVolumes,
                maxSplits,
                fuseTransport,
                metricsListen,
                cluster,
                accept,
                fdHolder,
                holderSocket);
    }

    /** This configuration with the descriptor holder's sockets replaced: the node's client and the holder's own. */
    LaunchConfig handover(Optional<Path> holder, Optional<Path> socket) {
        return new LaunchConfig(
                mode,
                endpoint,
                driverName,
                nodeId,
                pool,
                logLevel,
                demo,
                kubeletDir,
                stateDir,
                poolSize,
                maxVolumes,
                maxSplits,
                fuseTransport,
                metricsListen,
                cluster,
                acceptJournalLoss,
                holder,
                socket);
    }
}
