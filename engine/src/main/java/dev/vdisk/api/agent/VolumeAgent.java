package dev.vdisk.api.agent;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the agent that owns a node's pool does for the controller. One vdisk per volume, named by the CSI volume ID.
 * Calls on the same volume are serialised with each other and with the node's stage/unstage of that volume;
 * calls on different volumes run in parallel.
 */
public interface VolumeAgent {

    /** Volume sizes are multiples of this (the engine's block size); requested sizes are rounded up to it. */
    long SIZE_GRANULARITY = 4096;

    /** The largest volume the engine creates (1 PiB). */
    long MAX_VOLUME_BYTES = 1L << 50;

    /**
     * Creates a thin volume of {@code sizeBytes} (rounded up to {@link #SIZE_GRANULARITY}) and stores
     * {@code attributes} with it (durably, before the volume exists: a volume is never seen without them).
     * Idempotent: an existing volume of the same rounded size is returned as it is, with the attributes it has (the
     * caller compares them).
     *
     * @throws dev.vdisk.engine.EngineException reason ALREADY_EXISTS if it exists with another size, OUT_OF_SPACE,
     *                                          INVALID_ARGUMENT
     */
    AgentVolume createVolume(String volumeId, long sizeBytes, Map<String, String> attributes);

    /** {@link #createVolume(String, long, Map)} without attributes. */
    default AgentVolume createVolume(String volumeId, long sizeBytes) {
        return createVolume(volumeId, sizeBytes, Map.of());
    }

    /**
     * Sets the given attributes of an existing volume (others keep their values) and stores them durably.
     *
     * @throws dev.vdisk.engine.EngineException reason NOT_FOUND
     */
    AgentVolume updateAttributes(String volumeId, Map<String, String> attributes);

    /**
     * Deletes a volume. Idempotent: a volume that does not exist is not an error.
     *
     * @throws AgentException reason FAILED_PRECONDITION while the volume is staged on this node
     */
    void deleteVolume(String volumeId);

    /**
     * Grows a volume to at least {@code newSizeBytes} (rounded up to 4 KiB); a staged volume's block device grows
     * with it (its filesystem is grown by NodeExpandVolume). Asking for the current size or less returns the
     * volume unchanged.
     *
     * @throws dev.vdisk.engine.EngineException reason NOT_FOUND, OUT_OF_SPACE
     */
    AgentVolume resizeVolume(String volumeId, long newSizeBytes);

    Optional<AgentVolume> getVolume(String volumeId);

    List<AgentVolume> listVolumes();

    PoolCapacity capacity();

    // ---------------------------------------------------------------- snapshots and clones

    /**
     * Takes snapshot {@code snapshotId} of volume {@code sourceVolumeId}: every write acknowledged before the call is
     * in it; durable on return. Idempotent: an existing snapshot of that ID taken of the same source is returned as
     * it is.
     *
     * @throws dev.vdisk.engine.EngineException reason NOT_FOUND (no such volume), ALREADY_EXISTS (the ID is taken by
     *                                          a snapshot of another volume, or by a volume), INVALID_ARGUMENT
     */
    AgentSnapshot createSnapshot(String snapshotId, String sourceVolumeId);

    /**
     * Takes one snapshot per volume (key: volume ID, value: snapshot ID), all at one instant: all or none, each
     * recorded as a member of group {@code groupId}. Idempotent as {@link #createSnapshot} when every snapshot
     * already exists with its source; ALREADY_EXISTS when only some do.
     *
     * @throws dev.vdisk.engine.EngineException as {@link #createSnapshot}
     */
    List<AgentSnapshot> createSnapshotGroup(String groupId, Map<String, String> snapshotIdByVolumeId);

    /**
     * Deletes a snapshot. Idempotent. A snapshot that clones still read through disappears for the caller at once
     * and is freed with its last dependent.
     */
    void deleteSnapshot(String snapshotId);

    Optional<AgentSnapshot> getSnapshot(String snapshotId);

    /** Every snapshot of the pool (also of deleted volumes), sorted by snapshot ID. */
    List<AgentSnapshot> listSnapshots();

    /**
     * Creates volume {@code newVolumeId} as a thin clone of snapshot {@code snapshotId} (nothing is copied; it reads
     * through the snapshot until written), grown to {@code sizeBytes} (rounded up) if that is more than the
     * snapshot's size, with {@code attributes} stored as {@link #createVolume} does. Idempotent: an existing volume
     * of that ID is returned as it is (the caller compares its attributes).
     *
     * @throws dev.vdisk.engine.EngineException reason NOT_FOUND (no such snapshot), INVALID_ARGUMENT (smaller than
     *                                          the snapshot), OUT_OF_SPACE
     */
    AgentVolume cloneVolume(String newVolumeId, String snapshotId, long sizeBytes, Map<String, String> attributes);

    /**
     * The snapshot's in-use extents (kind ALLOCATED) from byte {@code startOffset}, computed as the iterator is
     * consumed. A snapshot deleted meanwhile ends the iteration with an EngineException of reason NOT_FOUND.
     *
     * @throws dev.vdisk.engine.EngineException reason NOT_FOUND
     */
    Iterator<BlockExtent> allocated(String snapshotId, long startOffset);

    /**
     * What to apply to a copy of {@code baseSnapshotId} to make it equal to {@code targetSnapshotId} (younger, same
     * volume), from byte {@code startOffset}: kinds CHANGED and DEALLOCATED; never misses a change.
     *
     * @throws dev.vdisk.engine.EngineException reason NOT_FOUND, INVALID_ARGUMENT (different volumes, target not
     *                                          younger)
     */
    Iterator<BlockExtent> delta(String baseSnapshotId, String targetSnapshotId, long startOffset);

    // ---------------------------------------------------------------- clone splits

    /**
     * Starts detaching clone {@code volumeId} from its backing snapshot in the background ({@code mode}: {@code share}
     * points the clone at the snapshot's data, {@code copy} copies it), at most {@code rateBytesPerSecond} (0 =
     * unlimited). The agent runs a few splits at once and queues the rest (first come, first started). Idempotent:
     * the same mode while queued, running or done returns the current status.
     *
     * @throws dev.vdisk.engine.EngineException reason NOT_FOUND (no such volume), FAILED_PRECONDITION (a split in
     *                                          the other mode is queued, running or done, or the volume has no
     *                                          backing snapshot), INVALID_ARGUMENT (unknown mode, negative rate),
     *                                          OUT_OF_SPACE (copy)
     */
    SplitStatus startSplit(String volumeId, String mode, long rateBytesPerSecond);

    /** The volume's split (queued, running, finished in this process, or recorded in the pool), if any. */
    Optional<SplitStatus> splitStatus(String volumeId);

    /**
     * Stops the volume's split at a consistent point (resumable by {@link #startSplit}) or drops it from the queue.
     * Returns once the cancel is durable: a crash afterwards neither resumes nor restarts the split.
     * Idempotent: no split, a finished one, or no such volume is not an error.
     */
    void cancelSplit(String volumeId);

    /** Every split the agent knows (queued ones included), sorted by volume ID. */
    List<SplitStatus> splits();

    /**
     * Length of the backing chain of volume or snapshot {@code id}: 0 when it reads through no snapshot, 1 for a clone
     * of a snapshot of such a volume, and so on (a split clone is 0 again).
     *
     * @throws dev.vdisk.engine.EngineException reason NOT_FOUND
     */
    int chainDepth(String id);

    /**
     * The lineage and space of the visible volume or snapshot {@code id}, empty if there is none (hidden snapshots
     * have no ID of their own). Used by the cluster mode's status and {@code kubectl vdisk tree}.
     */
    default Optional<AgentLineage> lineage(String id) {
        throw new UnsupportedOperationException("this agent reports no lineage");
    }
}
