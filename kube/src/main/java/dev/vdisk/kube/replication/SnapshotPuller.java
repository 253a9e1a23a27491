package dev.vdisk.kube.replication;

import dev.vdisk.api.agent.ReplicaSourceApi;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Pulls source snapshots into replicas of the local pool, one pull at a time per instance: the node plugin's {@code
 * ReplicaPuller} (resumable from the target's cursor, throttled, retried with back-off), adapted by the launcher.
 */
public interface SnapshotPuller {

    /** Makes a puller that reaches the source agent through {@code source} (called once per connection attempt). */
    @FunctionalInterface
    interface Factory {
        SnapshotPuller connectingWith(Supplier<ReplicaSourceApi> source);
    }

    /**
     * Pulls {@code sourceSnapshotId} into replica {@code replicaId} as the local snapshot {@code snapshotId}; blocks
     * until done.
     *
     * @throws dev.vdisk.api.agent.AgentException the failure once retrying is over
     */
    PullProgress pull(String replicaId, String sourceSnapshotId, String snapshotId) throws InterruptedException;

    /** The running pull's progress (any thread), empty before it reported. */
    Optional<PullProgress> progress();
}
