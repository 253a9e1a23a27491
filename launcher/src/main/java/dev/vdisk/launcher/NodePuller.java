package dev.vdisk.launcher;

import dev.vdisk.api.agent.ReplicaSourceApi;
import dev.vdisk.api.agent.ReplicaTargetApi;
import dev.vdisk.kube.replication.PullProgress;
import dev.vdisk.kube.replication.SnapshotPuller;
import dev.vdisk.node.replication.PullStatus;
import dev.vdisk.node.replication.ReplicaPuller;
import dev.vdisk.node.replication.ReplicaPulls;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The node plugin's {@link ReplicaPuller} as the cluster side's {@link SnapshotPuller}: the launcher is the one module
 * that sees both. A pull tries {@link #ATTEMPTS} connections, the first back-off {@link #RETRY_MILLIS} (doubling).
 */
final class NodePuller implements SnapshotPuller {
    static final int ATTEMPTS = 20;
    static final long RETRY_MILLIS = 500;

    private final ReplicaPuller puller;
    private final long rateBytesPerSecond;

    NodePuller(
            ReplicaTargetApi target, ReplicaPulls board, Supplier<ReplicaSourceApi> source, long rateBytesPerSecond) {
        this.puller = new ReplicaPuller(target, source, ATTEMPTS, RETRY_MILLIS, board);
        this.rateBytesPerSecond = rateBytesPerSecond;
    }

    /**
     * Pullers into {@code target}, each at most {@code rateBytesPerSecond} (0: unlimited), publishing their progress
     * on the agent's {@code board} (replica status, metrics).
     */
    static SnapshotPuller.Factory into(ReplicaTargetApi target, ReplicaPulls board, long rateBytesPerSecond) {
        return source -> new NodePuller(target, board, source, rateBytesPerSecond);
    }

    @Override
    public PullProgress pull(String replicaId, String sourceSnapshotId, String snapshotId) throws InterruptedException {
        return progress(puller.pull(replicaId, sourceSnapshotId, snapshotId, rateBytesPerSecond));
    }

    @Override
    public Optional<PullProgress> progress() {
        return puller.status().map(NodePuller::progress);
    }

    static PullProgress progress(PullStatus s) {
        return new PullProgress(
                s.phase(), s.bytesDone(), s.bytesTotal(), s.bytesPerSecond(), s.etaSeconds(), "", s.message());
    }
}
