package dev.vdisk.kube.replication;

/**
 * Where one pull of a source snapshot into a replica stands, as the reconcilers show it.
 *
 * @param phase RUNNING, RETRYING (the stream broke or the source is unreachable: resuming from the cursor), DONE or
 *     FAILED
 * @param bytesDone bytes of the snapshot covered so far (data and zeros)
 * @param bytesTotal what {@code bytesDone} is when done, -1 while unknown
 * @param bytesPerSecond bytes covered per second
 * @param etaSeconds estimated seconds to go, -1 if unknown
 * @param reason the agent API's reason of a FAILED pull (NOT_FOUND, FAILED_PRECONDITION, ...), else empty
 * @param message why it is RETRYING or FAILED, else empty
 */
public record PullProgress(
        String phase,
        long bytesDone,
        long bytesTotal,
        double bytesPerSecond,
        long etaSeconds,
        String reason,
        String message) {
    public static final String RUNNING = "RUNNING";
    public static final String RETRYING = "RETRYING";
    public static final String DONE = "DONE";
    public static final String FAILED = "FAILED";

    /** A pull that has not reported yet. */
    static PullProgress starting() {
        return new PullProgress(RUNNING, 0, -1, 0, -1, "", "");
    }

    static PullProgress failed(String reason, String message) {
        return new PullProgress(FAILED, 0, -1, 0, -1, reason, message);
    }

    public boolean finished() {
        return DONE.equals(phase) || FAILED.equals(phase);
    }

    public int percent() {
        if (DONE.equals(phase)) {
            return 100;
        }
        return bytesTotal <= 0 ? 0 : (int) Math.min(100, bytesDone * 100 / bytesTotal);
    }

    /** One line for a condition or an Event: {@code 42% (440 of 1024 MiB), 95 MiB/s, ETA 6 s}. */
    public String summary() {
        StringBuilder s = new StringBuilder().append(percent()).append('%');
        if (bytesTotal > 0) {
            s.append(" (")
                    .append(bytesDone >> 20)
                    .append(" of ")
                    .append(bytesTotal >> 20)
                    .append(" MiB)");
        }
        if (bytesPerSecond > 0 && !DONE.equals(phase)) {
            s.append(", ").append((long) bytesPerSecond >> 20).append(" MiB/s");
        }
        if (etaSeconds >= 0 && !DONE.equals(phase)) {
            s.append(", ETA ").append(etaSeconds).append(" s");
        }
        if (!message.isEmpty()) {
            s.append(": ").append(message);
        }
        return s.toString();
    }
}
