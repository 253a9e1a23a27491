package dev.vdisk.node.agent;

import dev.vdisk.engine.PoolOptions;
import dev.vdisk.node.handover.DescriptorStore;
import java.util.Objects;
import java.util.Optional;

/**
 * The node agent's settings that have defaults, kept apart from {@link AgentConfig}'s places so that changing one
 * of them does not repeat every field of the configuration.
 *
 * @param maxSplits  most clone splits running at once ({@code --max-splits}); more wait in a queue
 * @param acceptJournalLoss open the pool even when its journal lost fsynced records ({@code --accept-journal-loss})
 * @param descriptors where the FUSE connection and the loop devices are kept across a restart ({@code --fd-holder});
 *                    empty: they die with the process, and a restart stages every volume again on new devices
 * @param mapCacheBytes heap for the pool's cached map blocks ({@code --map-cache-size})
 */
public record AgentOptions(
        int maxSplits, boolean acceptJournalLoss, Optional<DescriptorStore> descriptors, long mapCacheBytes) {
    /** Splits running at once unless {@code --max-splits} says otherwise. */
    public static final int DEFAULT_MAX_SPLITS = 2;

    public AgentOptions {
        if (maxSplits < 1) {
            throw new IllegalArgumentException("max splits must be at least 1, got " + maxSplits);
        }
        Objects.requireNonNull(descriptors, "descriptors");
    }

    /** Two splits at once, a pool with a damaged journal refused, no descriptor holder. */
    public static AgentOptions defaults() {
        return new AgentOptions(DEFAULT_MAX_SPLITS, false, Optional.empty(), PoolOptions.DEFAULT_MAP_CACHE_BYTES);
    }

    public AgentOptions withMaxSplits(int n) {
        return new AgentOptions(n, acceptJournalLoss, descriptors, mapCacheBytes);
    }

    public AgentOptions withAcceptJournalLoss(boolean accept) {
        return new AgentOptions(maxSplits, accept, descriptors, mapCacheBytes);
    }

    public AgentOptions withDescriptors(DescriptorStore store) {
        return new AgentOptions(maxSplits, acceptJournalLoss, Optional.of(store), mapCacheBytes);
    }

    public AgentOptions withMapCacheBytes(long bytes) {
        return new AgentOptions(maxSplits, acceptJournalLoss, descriptors, bytes);
    }
}
