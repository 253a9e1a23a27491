package dev.vdisk.node.agent;

import dev.vdisk.node.fuse.FuseConfig;
import dev.vdisk.node.handover.DescriptorStore;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * How the node agent runs.
 *
 * @param poolDir    the pool's directory; a pool is created there on first use
 * @param poolSize   size of a new pool; empty: 90% of the free space of the filesystem holding poolDir
 * @param stateDir   the agent's own directory (FUSE mount point {@code fuse/}, state file, lock); default /run/vdisk
 * @param kubeletDir the only tree where staging and target paths are accepted
 * @param nodeId     this node's ID as the CO knows it
 * @param maxVolumes most volumes staged at once (NodeGetInfo's max_volumes_per_node)
 * @param maxSplits  most clone splits running at once ({@code --max-splits}); more wait in a queue
 * @param acceptJournalLoss open the pool even when its journal lost fsynced records ({@code --accept-journal-loss})
 * @param descriptors where the FUSE connection and the loop devices are kept across a restart ({@code --fd-holder});
 *                    empty: they die with the process, and a restart stages every volume again on new devices
 */
public record AgentConfig(
        Path poolDir,
        OptionalLong poolSize,
        Path stateDir,
        Path kubeletDir,
        String nodeId,
        int maxVolumes,
        FuseConfig fuse,
        int maxSplits,
        boolean acceptJournalLoss,
        Optional<DescriptorStore> descriptors) {
    /** Splits running at once unless {@code --max-splits} says otherwise. */
    public static final int DEFAULT_MAX_SPLITS = 2;

    public AgentConfig {
        if (maxVolumes < 1) {
            throw new IllegalArgumentException("max volumes must be at least 1, got " + maxVolumes);
        }
        if (maxSplits < 1) {
            throw new IllegalArgumentException("max splits must be at least 1, got " + maxSplits);
        }
        Objects.requireNonNull(descriptors, "descriptors");
    }

    public AgentConfig(
            Path poolDir,
            OptionalLong poolSize,
            Path stateDir,
            Path kubeletDir,
            String nodeId,
            int maxVolumes,
            FuseConfig fuse,
            int maxSplits,
            boolean acceptJournalLoss) {
        this(
                poolDir,
                poolSize,
                stateDir,
                kubeletDir,
                nodeId,
                maxVolumes,
                fuse,
                maxSplits,
                acceptJournalLoss,
                Optional.empty());
    }

    public AgentConfig(
            Path poolDir,
            OptionalLong poolSize,
            Path stateDir,
            Path kubeletDir,
            String nodeId,
            int maxVolumes,
            FuseConfig fuse) {
        this(poolDir, poolSize, stateDir, kubeletDir, nodeId, maxVolumes, fuse, DEFAULT_MAX_SPLITS);
    }

    public AgentConfig(
            Path poolDir,
            OptionalLong poolSize,
            Path stateDir,
            Path kubeletDir,
            String nodeId,
            int maxVolumes,
            FuseConfig fuse,
            int maxSplits) {
        this(poolDir, poolSize, stateDir, kubeletDir, nodeId, maxVolumes, fuse, maxSplits, false);
    }

    public AgentConfig withMaxSplits(int n) {
        return new AgentConfig(
                poolDir, poolSize, stateDir, kubeletDir, nodeId, maxVolumes, fuse, n, acceptJournalLoss, descriptors);
    }

    public AgentConfig withAcceptJournalLoss(boolean accept) {
        return new AgentConfig(
                poolDir, poolSize, stateDir, kubeletDir, nodeId, maxVolumes, fuse, maxSplits, accept, descriptors);
    }

    public AgentConfig withDescriptors(DescriptorStore store) {
        return new AgentConfig(
                poolDir,
                poolSize,
                stateDir,
                kubeletDir,
                nodeId,
                maxVolumes,
                fuse,
                maxSplits,
                acceptJournalLoss,
                Optional.of(store));
    }

    public Path fuseMountPoint() {
        return stateDir.resolve("fuse");
    }

    public Path stateFile() {
        return stateDir.resolve("node-state");
    }
}
