package dev.vdisk.node.agent;

import dev.vdisk.node.fuse.FuseConfig;
import java.nio.file.Path;
import java.util.Objects;
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
 * @param options    splits at once, journal loss, the descriptor holder
 */
public record AgentConfig(
        Path poolDir,
        OptionalLong poolSize,
        Path stateDir,
        Path kubeletDir,
        String nodeId,
        int maxVolumes,
        FuseConfig fuse,
        AgentOptions options) {

    public AgentConfig {
        if (maxVolumes < 1) {
            throw new IllegalArgumentException("max volumes must be at least 1, got " + maxVolumes);
        }
        Objects.requireNonNull(options, "options");
    }

    /** A configuration with {@link AgentOptions#defaults()}. */
    public AgentConfig(
            Path poolDir,
            OptionalLong poolSize,
            Path stateDir,
            Path kubeletDir,
            String nodeId,
            int maxVolumes,
            FuseConfig fuse) {
        this(poolDir, poolSize, stateDir, kubeletDir, nodeId, maxVolumes, fuse, AgentOptions.defaults());
    }

    public AgentConfig withOptions(AgentOptions o) {
        return new AgentConfig(poolDir, poolSize, stateDir, kubeletDir, nodeId, maxVolumes, fuse, o);
    }

    public Path fuseMountPoint() {
        return stateDir.resolve("fuse");
    }

    public Path stateFile() {
        return stateDir.resolve("node-state");
    }
}
