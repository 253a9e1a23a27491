package dev.vdisk.api.agent;

import java.util.List;
import java.util.Optional;

/**
 * The target side of replication: replicas on this agent's pool, fed chunk by chunk by a puller (one per replica at a
 * time). An import is begun, fed ascending chunks, its cursor recorded now and then, and completed (the replica then
 * holds a read-only snapshot identical to the source's) or aborted (back to its newest snapshot). A restart of the
 * agent keeps a pending import at its durable cursor. Failures are {@link AgentException}s.
 */
public interface ReplicaTargetApi {
    /**
     * Begins importing source snapshot {@code sourceSnapshotId} ({@code sizeBytes}) into replica {@code replicaId} as
     * snapshot {@code snapshotId}, or resumes that same import. Returns where to ask the source from; empty if the
     * replica's newest snapshot already equals the source snapshot.
     *
     * @throws AgentException FAILED_PRECONDITION (another import is pending, a snapshot {@code snapshotId} exists,
     *     or the replica cannot take it), INVALID_ARGUMENT (a bad id)
     */
    Optional<ReplicaCursor> beginImport(String replicaId, String sourceSnapshotId, String snapshotId, long sizeBytes);

    /**
     * Verifies and applies one chunk of the pending import.
     *
     * @throws AgentException IO_ERROR (checksum mismatch: nothing applied, resend from the cursor),
     *     FAILED_PRECONDITION (no import pending, or a chunk before the cursor)
     */
    void applyChunk(String replicaId, ReplicaChunk chunk);

    /** Makes the applied chunks durable and records the cursor after them; returns it. */
    long recordCursor(String replicaId);

    /** Completes the pending import once the source sent everything; returns the replica's new snapshot id. */
    String completeImport(String replicaId);

    /** Drops the pending import: the replica goes back to its newest snapshot. Idempotent. */
    void abortImport(String replicaId);

    /** The replica's state, if this pool has it. */
    Optional<ReplicaStatus> replicaStatus(String replicaId);

    /** Every replica of this pool, by id. */
    List<ReplicaStatus> replicas();
}
