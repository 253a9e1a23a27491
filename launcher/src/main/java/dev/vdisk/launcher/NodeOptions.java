package dev.vdisk.launcher;

import dev.vdisk.engine.PoolOptions;
import dev.vdisk.node.fuse.FuseTransport;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The node agent's settings from the command line; they matter only in the modes that own a pool (node, standalone).
 *
 * @param kubeletDir        the only tree where staging and target paths are accepted ({@code --kubelet-dir})
 * @param stateDir          the agent's own directory ({@code --state-dir})
 * @param poolSize          size of a new pool; empty: 90% of the free space ({@code --pool-size})
 * @param mapCacheBytes     heap for the pool's cached map blocks ({@code --map-cache-size})
 * @param maxVolumes        most volumes staged at once ({@code --max-volumes})
 * @param maxSplits         most clone splits at once ({@code --max-splits})
 * @param fuseTransport     {@code --fuse-transport}
 * @param acceptJournalLoss open the pool even when its journal lost fsynced records
 * @param fdHolder          the descriptor holder's socket ({@code --fd-holder}); empty: none, a restart stages every
 *                          volume again
 */
record NodeOptions(
        Path kubeletDir,
        Path stateDir,
        OptionalLong poolSize,
        long mapCacheBytes,
        int maxVolumes,
        int maxSplits,
        FuseTransport fuseTransport,
        boolean acceptJournalLoss,
        Optional<Path> fdHolder) {

    /** The defaults of every flag, for the modes without a pool. */
    static NodeOptions defaults() {
        return new NodeOptions(
                Path.of(PoolFlags.DEFAULT_KUBELET_DIR),
                Path.of(PoolFlags.DEFAULT_STATE_DIR),
                OptionalLong.empty(),
                PoolOptions.DEFAULT_MAP_CACHE_BYTES,
                PoolFlags.DEFAULT_MAX_VOLUMES,
                PoolFlags.DEFAULT_MAX_SPLITS,
                FuseTransport.AUTO,
                false,
                Optional.empty());
    }
}
