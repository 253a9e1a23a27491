package dev.vdisk.api.agent;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Snapshots of a node's pool's volumes, and clones of them. Failures are {@link AgentException}s. */
public interface SnapshotApi {

    /**
     * Takes snapshot {@code snapshotId} of volume {@code sourceVolumeId}: every write acknowledged before the call is
     * in it; durable on return. Idempotent: an existing snapshot of that ID taken of the same source is returned as
     * it is.
     *
     * @throws AgentException reason NOT_FOUND (no such volume), ALREADY_EXISTS (the ID is taken by a snapshot of
     *                        another volume, or by a volume), INVALID_ARGUMENT
     */
    AgentSnapshot createSnapshot(String snapshotId, String sourceVolumeId);

    /**
     * Takes one snapshot per volume (key: volume ID, value: snapshot ID), all at one instant: all or none, each
     * recorded as a member of group {@code groupId}. Idempotent as {@link #createSnapshot} when every snapshot
     * already exists with its source; ALREADY_EXISTS when only some do.
     *
     * @throws AgentException as {@link #createSnapshot}
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
     * snapshot's size, with {@code attributes} stored as {@link VolumeApi#createVolume} does. Idempotent: an existing
     * volume of that ID is returned as it is (the caller compares its attributes).
     *
     * @throws AgentException reason NOT_FOUND (no such snapshot), INVALID_ARGUMENT (smaller than the snapshot),
     *                        OUT_OF_SPACE
     */
    AgentVolume cloneVolume(String newVolumeId, String snapshotId, long sizeBytes, Map<String, String> attributes);

    /**
     * Length of the backing chain of volume or snapshot {@code id}: 0 when it reads through no snapshot, 1 for a clone
     * of a snapshot of such a volume, and so on (a split clone is 0 again).
     *
     * @throws AgentException reason NOT_FOUND
     */
    int chainDepth(String id);
}
