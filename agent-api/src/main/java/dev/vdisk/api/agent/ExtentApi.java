package dev.vdisk.api.agent;

import java.util.Iterator;

/**
 * The snapshot-metadata streams of a node's pool (CSI SnapshotMetadata), as {@link BlockExtent}s. Failures are
 * {@link AgentException}s, also those thrown while an iterator is consumed.
 */
public interface ExtentApi {

    /**
     * The snapshot's in-use extents (kind ALLOCATED) from byte {@code startOffset}, computed as the iterator is
     * consumed. A snapshot deleted meanwhile ends the iteration with reason NOT_FOUND.
     *
     * @throws AgentException reason NOT_FOUND
     */
    Iterator<BlockExtent> allocated(String snapshotId, long startOffset);

    /**
     * What to apply to a copy of {@code baseSnapshotId} to make it equal to {@code targetSnapshotId} (younger, same
     * volume), from byte {@code startOffset}: kinds CHANGED and DEALLOCATED; never misses a change.
     *
     * @throws AgentException reason NOT_FOUND, INVALID_ARGUMENT (different volumes, target not younger)
     */
    Iterator<BlockExtent> delta(String baseSnapshotId, String targetSnapshotId, long startOffset);
}
