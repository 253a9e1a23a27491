package dev.vdisk.engine;

import java.nio.file.Path;

/**
 * What a new pool looks like; fixed at creation.
 *
 * @param sizeBytes size of the data space (a multiple of the segment size; the sparse file is created this large)
 * @param segmentSize power of two from 4 KiB to 1 MiB
 * @param device a block device to hold the data space instead of {@code DIR/pool.data}, or null
 * @param journalDir where the journal lives instead of {@code DIR/journal}, or null
 */
public record PoolSpec(long sizeBytes, int segmentSize, Path device, Path journalDir) {
    public static final int DEFAULT_SEGMENT_SIZE = 64 << 10;

    public static PoolSpec ofSize(long sizeBytes) {
        return new PoolSpec(sizeBytes, DEFAULT_SEGMENT_SIZE, null, null);
    }

    public PoolSpec withSegmentSize(int segmentSize) {
        return new PoolSpec(sizeBytes, segmentSize, device, journalDir);
    }

    public PoolSpec withDevice(Path device) {
        return new PoolSpec(sizeBytes, segmentSize, device, journalDir);
    }

    public PoolSpec withJournalDir(Path journalDir) {
        return new PoolSpec(sizeBytes, segmentSize, device, journalDir);
    }
}
