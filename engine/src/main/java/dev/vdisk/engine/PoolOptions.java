package dev.vdisk.engine;

import dev.vdisk.engine.error.InvalidRangeException;
import dev.vdisk.engine.error.JournalDamagedException;

/**
 * Run-time tuning of an open pool (not stored in the pool).
 *
 * @param dirtyLimitBytes memory for the changes table (dirty 4 KiB blocks); writers wait when it is full
 * @param journalFileBytes size at which the journal starts a new file
 * @param checkpointIntervalMillis longest time between consistency points while anything changes
 * @param checkpointJournalBytes journal size that triggers a consistency point
 * @param journalHardLimitBytes journal size at which writers wait for a consistency point (backpressure)
 * @param destageDelayMillis batching delay of the destager after the first dirty segment
 * @param acceptJournalLoss open even when the journal lost fsynced records ({@link JournalDamagedException}
 *     otherwise); {@link Pool#journalLosses()} then lists them. An operator's decision, never a default.
 * @param mapCacheBytes heap for clean indirect blocks of the maps ({@code NodeCache}); more are read from disk on use;
 *     also the bound on dirty ones, see {@link #mapDirtyLimitBytes()}
 * @param writeAnywhere first writes of whole segments to holes go to new segments with only a pointer journalled
 */
public record PoolOptions(
        long dirtyLimitBytes,
        long journalFileBytes,
        long checkpointIntervalMillis,
        long checkpointJournalBytes,
        long journalHardLimitBytes,
        long destageDelayMillis,
        boolean acceptJournalLoss,
        long mapCacheBytes,
        boolean writeAnywhere) {

    /** Default {@link #mapCacheBytes}: 1,024 blocks of 64 KiB, which map 256 GiB of fully written volumes. */
    public static final long DEFAULT_MAP_CACHE_BYTES = 64L << 20;

    /** Smallest {@link #mapCacheBytes}; any size is correct (a reader holds the nodes it uses), small is slow. */
    public static final long MIN_MAP_CACHE_BYTES = 1L << 20;

    /** Default {@link #writeAnywhere}. */
    public static final boolean DEFAULT_WRITE_ANYWHERE = true;

    /** Smallest {@link #mapDirtyLimitBytes()}: below it random writes over a large vdisk would take a point every few. */
    public static final long MIN_MAP_DIRTY_LIMIT_BYTES = 16L << 20;

    /**
     * Heap for indirect blocks changed since the last consistency point (pinned until it writes them, outside the
     * cache's bound): past it the destager takes a point early, so a write burst cannot grow the heap without bound.
     * The cache's size, at least {@link #MIN_MAP_DIRTY_LIMIT_BYTES}; the maps' heap is at most the two together.
     */
    public long mapDirtyLimitBytes() {
        return Math.max(mapCacheBytes, MIN_MAP_DIRTY_LIMIT_BYTES);
    }

    public static PoolOptions defaults() {
        return new PoolOptions(64L << 20, 64L << 20, 5_000, 256L << 20, 1L << 30, 5);
    }

    public PoolOptions(
            long dirtyLimitBytes,
            long journalFileBytes,
            long checkpointIntervalMillis,
            long checkpointJournalBytes,
            long journalHardLimitBytes,
            long destageDelayMillis) {
        this(
                dirtyLimitBytes,
                journalFileBytes,
                checkpointIntervalMillis,
                checkpointJournalBytes,
                journalHardLimitBytes,
                destageDelayMillis,
                false,
                DEFAULT_MAP_CACHE_BYTES,
                DEFAULT_WRITE_ANYWHERE);
    }

    public PoolOptions withAcceptJournalLoss(boolean accept) {
        return new PoolOptions(
                dirtyLimitBytes,
                journalFileBytes,
                checkpointIntervalMillis,
                checkpointJournalBytes,
                journalHardLimitBytes,
                destageDelayMillis,
                accept,
                mapCacheBytes,
                writeAnywhere);
    }

    public PoolOptions {
        if (dirtyLimitBytes < (2L << 20)) {
            throw new InvalidRangeException("dirty limit " + dirtyLimitBytes + " is below the minimum of 2 MiB");
        }
        if (journalFileBytes < (2L << 20)
                || checkpointJournalBytes < journalFileBytes
                || journalHardLimitBytes < checkpointJournalBytes) {
            throw new InvalidRangeException("journal limits must satisfy 2 MiB <= file <= checkpoint <= hard limit");
        }
        if (mapCacheBytes < MIN_MAP_CACHE_BYTES) {
            throw new InvalidRangeException(
                    "map cache size " + mapCacheBytes + " is below the minimum of 1 MiB; give it at least 1M");
        }
    }

    public PoolOptions withMapCacheBytes(long bytes) {
        return new PoolOptions(
                dirtyLimitBytes,
                journalFileBytes,
                checkpointIntervalMillis,
                checkpointJournalBytes,
                journalHardLimitBytes,
                destageDelayMillis,
                acceptJournalLoss,
                bytes,
                writeAnywhere);
    }

    /**
     * Whether first writes to holes go to new segments with only a pointer journalled (off: through the journal, as
     * tests of the journal's bytes need).
     */
    public PoolOptions withWriteAnywhere(boolean on) {
        return new PoolOptions(
                dirtyLimitBytes,
                journalFileBytes,
                checkpointIntervalMillis,
                checkpointJournalBytes,
                journalHardLimitBytes,
                destageDelayMillis,
                acceptJournalLoss,
                mapCacheBytes,
                on);
    }

    public PoolOptions withCheckpointIntervalMillis(long ms) {
        return new PoolOptions(
                dirtyLimitBytes,
                journalFileBytes,
                ms,
                checkpointJournalBytes,
                journalHardLimitBytes,
                destageDelayMillis,
                acceptJournalLoss,
                mapCacheBytes,
                writeAnywhere);
    }

    public PoolOptions withDirtyLimitBytes(long bytes) {
        return new PoolOptions(
                bytes,
                journalFileBytes,
                checkpointIntervalMillis,
                checkpointJournalBytes,
                journalHardLimitBytes,
                destageDelayMillis,
                acceptJournalLoss,
                mapCacheBytes,
                writeAnywhere);
    }

    public PoolOptions withJournal(long fileBytes, long checkpointBytes, long hardLimitBytes) {
        return new PoolOptions(
                dirtyLimitBytes,
                fileBytes,
                checkpointIntervalMillis,
                checkpointBytes,
                hardLimitBytes,
                destageDelayMillis,
                acceptJournalLoss,
                mapCacheBytes,
                writeAnywhere);
    }

    public PoolOptions withDestageDelayMillis(long ms) {
        return new PoolOptions(
                dirtyLimitBytes,
                journalFileBytes,
                checkpointIntervalMillis,
                checkpointJournalBytes,
                journalHardLimitBytes,
                ms,
                acceptJournalLoss,
                mapCacheBytes,
                writeAnywhere);
    }
}
