package dev.vdisk.node.replication;

import dev.vdisk.api.agent.ReplicaProgress;

/**
 * Where a pull stands.
 *
 * @param replicaId the replica being fed
 * @param sourceSnapshotId the source snapshot being pulled
 * @param phase RUNNING, RETRYING (the source was unreachable or the stream broke: resuming from the cursor), DONE or
 *     FAILED
 * @param bytesDone bytes of the import covered (data and zeros), also before a restart
 * @param bytesTotal what {@code bytesDone} is when done, -1 while unknown
 * @param bytesSent data bytes received in this pull (zeros travel without payload)
 * @param bytesPerSecond bytes covered per second in this pull
 * @param etaSeconds estimated seconds to go, -1 if unknown
 * @param attempts connections made so far
 * @param rateLimitBytesPerSecond the throttle on data bytes, 0 = unlimited
 * @param message why it is RETRYING or FAILED, else empty
 */
public record PullStatus(
        String replicaId,
        String sourceSnapshotId,
        String phase,
        long bytesDone,
        long bytesTotal,
        long bytesSent,
        double bytesPerSecond,
        long etaSeconds,
        int attempts,
        long rateLimitBytesPerSecond,
        String message) {
    /** As the agent API reports it. */
    public ReplicaProgress progress() {
        return new ReplicaProgress(
                sourceSnapshotId,
                phase,
                bytesDone,
                bytesTotal,
                bytesSent,
                bytesPerSecond,
                etaSeconds,
                rateLimitBytesPerSecond,
                attempts,
                message);
    }

    public int percent() {
        if ("DONE".equals(phase)) {
            return 100;
        }
        return bytesTotal <= 0 ? 0 : (int) Math.min(100, bytesDone * 100 / bytesTotal);
    }
}
