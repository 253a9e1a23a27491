package dev.vdisk.api.agent;

import java.util.Iterator;

/**
 * The source side of replication, served by the agent that owns the snapshots' pool to the agents that pull replicas
 * of them. Failures are {@link AgentException}s, also those thrown while an iterator is consumed (a snapshot deleted
 * meanwhile: NOT_FOUND).
 */
public interface ReplicaSourceApi {
    /**
     * The chunks that make a replica holding {@code baseSnapshotId} (null: nothing, a seed) equal to
     * {@code snapshotId}, from byte {@code fromOffset}, read and checksummed as the iterator is consumed.
     *
     * @throws AgentException NOT_FOUND (no such snapshot), INVALID_ARGUMENT (different volumes, base not older)
     */
    Iterator<ReplicaChunk> export(String baseSnapshotId, String snapshotId, long fromOffset);

    /**
     * Snapshot {@code snapshotId}'s size: what a replica of it must hold.
     *
     * @throws AgentException NOT_FOUND
     */
    long snapshotSize(String snapshotId);

    /** What {@link #export} with the same arguments covers (one pass over the metadata). */
    ReplicaPlan exportPlan(String baseSnapshotId, String snapshotId, long fromOffset);
}
