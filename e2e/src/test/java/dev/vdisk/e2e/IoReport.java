package dev.vdisk.e2e;

import java.time.Duration;
import java.util.List;

/**
 * What one {@link VerifyingWriter} saw: acknowledged writes (write + fdatasync both returned), failed operations (the
 * first few messages), acknowledged writes that a read-back did not find, and the latency of its operations
 * (a restart shows as the longest one: the I/O pause).
 */
record IoReport(
        String volume,
        long acknowledged,
        long reads,
        long errors,
        List<String> firstErrors,
        long lost,
        List<String> firstLost,
        Duration longestPause,
        Duration median,
        Duration p99) {

    @Override
    public String toString() {
        return String.format(
                "%s: %d writes acknowledged, %d reads verified, %d I/O errors %s, %d acknowledged writes"
                        + " lost %s, longest pause %d ms (median %.2f ms, p99 %.2f ms)",
                volume,
                acknowledged,
                reads,
                errors,
                firstErrors,
                lost,
                firstLost,
                longestPause.toMillis(),
                median.toNanos() / 1e6,
                p99.toNanos() / 1e6);
    }
}
