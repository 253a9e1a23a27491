package dev.vdisk.kube.resource;

import io.fabric8.kubernetes.api.model.Condition;
import java.util.List;

/**
 * A replication's state: the controller writes the snapshot side, the target node's agent the pull's progress.
 *
 * @param phase                 see {@link VdiskReplicationPhase}
 * @param observedGeneration    the spec generation this status answers
 * @param volumeId              the replicated CSI volume ID
 * @param sourceNode            the node holding the volume
 * @param targetNode            the node holding the replica
 * @param pendingSnapshotId     the snapshot being taken or shipped, null between rounds
 * @param lastSnapshotId        the newest snapshot complete on the target: restorable there (and anywhere from there)
 * @param lastSnapshotTime      when that snapshot was taken on the source (RFC 3339): the replica's point in time
 * @param lastReplicatedTime    when that snapshot completed on the target (RFC 3339)
 * @param lastBytesSent         data bytes the last round sent (a delta sends only changed blocks)
 * @param lastDurationSeconds   how long the last round's pull took
 * @param replicatedSnapshotIds snapshots kept on the target, oldest first (at most {@code keep})
 * @param percent               0 to 100 of the pending round's pull
 * @param bytesDone             bytes of the pending round covered so far
 * @param bytesTotal            bytes the pending round covers
 * @param bytesPerSecond        current pull throughput
 * @param etaSeconds            estimated seconds to go, -1 if unknown
 * @param nextRoundTime         when the next round starts (RFC 3339), null without an interval
 * @param conditions            Ready, Replicating, Failed with reason and message
 */
public record VdiskReplicationStatus(
        VdiskReplicationPhase phase,
        Long observedGeneration,
        String volumeId,
        String sourceNode,
        String targetNode,
        String pendingSnapshotId,
        String lastSnapshotId,
        String lastSnapshotTime,
        String lastReplicatedTime,
        long lastBytesSent,
        long lastDurationSeconds,
        List<String> replicatedSnapshotIds,
        int percent,
        long bytesDone,
        long bytesTotal,
        long bytesPerSecond,
        long etaSeconds,
        String nextRoundTime,
        List<Condition> conditions) {}
