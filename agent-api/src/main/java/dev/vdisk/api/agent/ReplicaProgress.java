package dev.vdisk.api.agent;

/**
 * The newest pull into a replica as the pulling agent sees it: what {@code kubectl vdisk status} and the metrics show.
 *
 * @param sourceSnapshotId the source snapshot pulled
 * @param phase RUNNING, RETRYING (resuming from the cursor after a broken stream), DONE or FAILED
 * @param bytesDone bytes of the import covered (data, zeros and unchanged bytes), also before a restart
 * @param bytesTotal what {@code bytesDone} is when done, -1 while unknown
 * @param bytesSent data bytes received by this pull (what the throttle counts)
 * @param bytesPerSecond bytes covered per second by this pull
 * @param etaSeconds estimated seconds to go, -1 if unknown, 0 when done
 * @param rateLimitBytesPerSecond the throttle on data bytes, 0 = unlimited
 * @param attempts connections made so far
 * @param message why it is RETRYING or FAILED, else empty
 */
public record ReplicaProgress(
        String sourceSnapshotId,
        String phase,
        long bytesDone,
        long bytesTotal,
        long bytesSent,
        double bytesPerSecond,
        long etaSeconds,
        long rateLimitBytesPerSecond,
        int attempts,
        String message) {
    /** 0-100; 100 once DONE. */
    public int percent() {
        if ("DONE".equals(phase)) {
            return 100;
        }
        return bytesTotal <= 0 ? 0 : (int) Math.min(100, bytesDone * 100 / bytesTotal);
    }
}
