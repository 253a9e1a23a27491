package dev.vdisk.api.agent;

/**
 * A replica on the agent's pool as the agent reports it.
 *
 * @param replicaId the replica (its vdisk on this pool is {@code replica.<replicaId>})
 * @param lastSnapshotId the replica's newest complete snapshot on this pool, null before the first import
 * @param lastSourceSnapshotId the source snapshot it equals: the base of the next delta
 * @param pendingSourceSnapshotId the source snapshot being imported, null if none
 * @param pendingSnapshotId the snapshot the pending import becomes
 * @param sizeBytes the pending source snapshot's size
 * @param cursor byte offset up to which the pending import is applied
 * @param durableCursor byte offset up to which it is durable (a restart resumes here)
 * @param bytesDone bytes covered by the pending import so far (data and zeros)
 * @param bytesReceived bytes of data received by this process for it
 * @param progress the newest pull into it by this agent (percent, rate, ETA, throttle); null if none since it started
 */
public record ReplicaStatus(
        String replicaId,
        String lastSnapshotId,
        String lastSourceSnapshotId,
        String pendingSourceSnapshotId,
        String pendingSnapshotId,
        long sizeBytes,
        long cursor,
        long durableCursor,
        long bytesDone,
        long bytesReceived,
        ReplicaProgress progress) {
    public boolean importing() {
        return pendingSourceSnapshotId != null;
    }
}
