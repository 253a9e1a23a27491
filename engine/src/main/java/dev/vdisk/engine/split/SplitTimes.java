package dev.vdisk.engine.split;

import java.util.Locale;

/**
 * Where a finished split task's wall time went ({@link SplitTask#times()}), in nanoseconds: for benchmarks and the
 * task's final log line. The phases do not overlap; what is left of the wall time is the loop itself.
 *
 * @param scanNanos finding the next candidate segment ({@link Splitter#nextCandidate})
 * @param fillNanos filling runs ({@link Splitter#fillRun}), including {@code copyNanos}
 * @param copyNanos COPY only: moving data ({@link SplitCopier#copy}), under {@code destageLock}
 * @param copies COPY only: stretches copied (each adjacent on both sides: its bytes over this is their mean length)
 * @param pointNanos the task's own periodic consistency points
 * @param points how many of those
 * @param releaseNanos the release (its check, and the final consistency point that makes the copies durable)
 * @param throttleNanos waiting for idleness or for the rate limit
 */
public record SplitTimes(
        long scanNanos,
        long fillNanos,
        long copyNanos,
        long copies,
        long pointNanos,
        int points,
        long releaseNanos,
        long throttleNanos) {
    static final SplitTimes NONE = new SplitTimes(0, 0, 0, 0, 0, 0, 0, 0);

    @Override
    public String toString() {
        return String.format(
                Locale.ROOT,
                "scan %.1f ms, fill %.1f ms (copy %.1f ms, %d stretches), %d points %.1f ms, release %.1f ms, throttle %.1f ms",
                scanNanos / 1e6,
                fillNanos / 1e6,
                copyNanos / 1e6,
                copies,
                points,
                pointNanos / 1e6,
                releaseNanos / 1e6,
                throttleNanos / 1e6);
    }
}
